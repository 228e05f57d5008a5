/// A boosted cascade as OpenCV's `traincascade` writes it (the
/// `opencv-cascade-classifier` XML): stages of weak trees over Haar or
/// multi-block LBP features in a fixed detection window. Parsed once,
/// validated completely, then read by `CascadeDetector` without checks.
public struct Cascade: Sendable {
    public enum Kind: String, Sendable, Codable {
        case haar
        case lbp
    }

    /// One weighted rectangle of a Haar feature, in window pixels.
    struct WeightedRect: Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var weight: Float
    }

    /// A Haar feature: two or three weighted rectangles, upright or rotated
    /// by 45° (tilted).
    struct HaarFeature: Sendable {
        var rects: [WeightedRect]
        var tilted: Bool
    }

    /// A multi-block LBP feature: a 3×3 grid of `width × height` blocks whose
    /// top-left block starts at (x, y).
    struct LBPFeature: Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    /// A split node. For Haar it compares the feature value with
    /// `threshold`; for LBP it looks the 8-bit code up in a 256-bit subset.
    /// A child index > 0 is another node of the same tree; ≤ 0 is leaf −index.
    struct Node: Sendable {
        var left: Int32
        var right: Int32
        var feature: Int32
        var threshold: Float
    }

    struct Tree: Sendable {
        var firstNode: Int
        var nodeCount: Int
        var firstLeaf: Int
    }

    struct Stage: Sendable {
        var firstTree: Int
        var treeCount: Int
        var threshold: Float
    }

    public let kind: Kind
    public let windowWidth: Int
    public let windowHeight: Int
    let stages: [Stage]
    let trees: [Tree]
    let nodes: [Node]
    let leaves: [Float]
    /// LBP only: 8 words (256 bits) per node, in node order.
    let subsets: [Int32]
    let haarFeatures: [HaarFeature]
    let lbpFeatures: [LBPFeature]

    public var stageCount: Int { stages.count }
    public var usesTiltedFeatures: Bool { haarFeatures.contains { $0.tilted } }
    /// Every weak classifier is a single split, the common case, which the
    /// detector evaluates on a faster path.
    var isStumpBased: Bool { trees.allSatisfy { $0.nodeCount == 1 } }

    /// OpenCV lowers every stage threshold by this much when it reads a
    /// cascade (cascadedetect.cpp, THRESHOLD_EPS), so a window whose stage
    /// sum rounds onto the trained threshold still passes. Kept for parity.
    static let stageThresholdEpsilon: Float = 1e-5

    /// LBP codes take 256 values: one bit each in a node's category subset.
    static let lbpSubsetWords = 8
}

/// Why a cascade file was refused; one line for the user.
public struct CascadeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

extension Cascade {
    /// Parses a cascade XML document. Every index, count and rectangle is
    /// checked here, so evaluation can never read outside its tables or the
    /// detection window.
    public init(xml bytes: [UInt8]) throws(CascadeError) {
        let document: XMLElement
        do {
            document = try XMLReader.parse(bytes)
        } catch {
            throw CascadeError("not well-formed XML: \(error.message) at byte \(error.offset)")
        }
        guard document.name == "opencv_storage" else {
            throw CascadeError("not an OpenCV FileStorage XML (root element <\(document.name)>)")
        }
        guard let root = document.children.first else { throw CascadeError("empty <opencv_storage>") }
        if root.attributes["type_id"] == "opencv-haar-classifier" {
            throw CascadeError("old-style Haar cascade (opencv-haar-classifier); only the opencv-cascade-classifier format is supported")
        }
        guard root.child("stages") != nil, root.child("featureType") != nil else {
            throw CascadeError("not a cascade classifier: <\(root.name)> has no <stages> or <featureType>")
        }
        let stageType = try Self.word(root, "stageType")
        guard stageType == "BOOST" else { throw CascadeError("stage type \(stageType) is not supported (only BOOST)") }
        let featureType = try Self.word(root, "featureType")
        switch featureType {
        case "HAAR": kind = .haar
        case "LBP": kind = .lbp
        default: throw CascadeError("feature type \(featureType) is not supported (only HAAR and LBP)")
        }
        windowWidth = try Self.integer(root, "width", in: 1...1024)
        windowHeight = try Self.integer(root, "height", in: 1...1024)
        // Haar windows use a one-pixel margin for their variance (normrect).
        if kind == .haar, windowWidth < 3 || windowHeight < 3 {
            throw CascadeError("a Haar window must be at least 3×3, not \(windowWidth)×\(windowHeight)")
        }
        let categories: Int
        if kind == .lbp {
            guard let params = root.child("featureParams") else { throw CascadeError("LBP cascade without <featureParams>") }
            categories = try Self.integer(params, "maxCatCount", in: 0...Int(Int32.max))
            guard categories == 256 else { throw CascadeError("an LBP cascade must have 256 categories, not \(categories)") }
        } else {
            categories = 0
        }

        guard let featureList = root.child("features") else { throw CascadeError("no <features>") }
        var haarFeatures: [HaarFeature] = []
        var lbpFeatures: [LBPFeature] = []
        for (index, element) in featureList.children.enumerated() {
            switch kind {
            case .haar: haarFeatures.append(try Self.haarFeature(element, index: index, window: (windowWidth, windowHeight)))
            case .lbp: lbpFeatures.append(try Self.lbpFeature(element, index: index, window: (windowWidth, windowHeight)))
            }
        }
        let featureCount = kind == .haar ? haarFeatures.count : lbpFeatures.count
        guard featureCount > 0 else { throw CascadeError("the cascade has no features") }

        guard let stageList = root.child("stages"), !stageList.children.isEmpty else { throw CascadeError("the cascade has no stages") }
        if let declared = root.child("stageNum").map({ $0.text.trimmed }), let number = Int(declared), number != stageList.children.count {
            throw CascadeError("<stageNum> says \(number) stages but <stages> holds \(stageList.children.count)")
        }
        let numbersPerNode = kind == .lbp ? 3 + Self.lbpSubsetWords : 4
        var stages: [Stage] = []
        var trees: [Tree] = []
        var nodes: [Node] = []
        var leaves: [Float] = []
        var subsets: [Int32] = []
        for (stageIndex, stageElement) in stageList.children.enumerated() {
            let threshold = try Self.float(stageElement, "stageThreshold")
            guard let weakList = stageElement.child("weakClassifiers"), !weakList.children.isEmpty else {
                throw CascadeError("stage \(stageIndex) has no weak classifiers")
            }
            let firstTree = trees.count
            for (treeIndex, weak) in weakList.children.enumerated() {
                let place = "stage \(stageIndex), weak classifier \(treeIndex)"
                let numbers = try Self.numbers(weak, "internalNodes", place: place)
                let leafValues = try Self.numbers(weak, "leafValues", place: place)
                guard !numbers.isEmpty, numbers.count % numbersPerNode == 0 else {
                    throw CascadeError("\(place): <internalNodes> holds \(numbers.count) numbers, not a multiple of \(numbersPerNode)")
                }
                let nodeCount = numbers.count / numbersPerNode
                guard leafValues.count == nodeCount + 1 else {
                    throw CascadeError("\(place): \(nodeCount) nodes need \(nodeCount + 1) leaf values, found \(leafValues.count)")
                }
                for nodeIndex in 0..<nodeCount {
                    let base = nodeIndex * numbersPerNode
                    guard let left = Self.exactInt32(numbers[base]), let right = Self.exactInt32(numbers[base + 1]),
                          let feature = Self.exactInt32(numbers[base + 2]) else {
                        throw CascadeError("\(place): node \(nodeIndex) has a non-integer child or feature index")
                    }
                    // Children only point forward, so every walk ends; leaves
                    // are numbered 0...nodeCount.
                    for child in [left, right].map(Int.init) where child > 0 ? (child <= nodeIndex || child >= nodeCount) : (-child > nodeCount) {
                        throw CascadeError("\(place): node \(nodeIndex) has an invalid child \(child)")
                    }
                    guard feature >= 0, Int(feature) < featureCount else {
                        throw CascadeError("\(place): node \(nodeIndex) uses feature \(feature) of \(featureCount)")
                    }
                    var threshold: Float = 0
                    if kind == .lbp {
                        for word in 0..<Self.lbpSubsetWords {
                            guard let value = Self.exactInt32(numbers[base + 3 + word]) else {
                                throw CascadeError("\(place): node \(nodeIndex) has a non-integer category subset")
                            }
                            subsets.append(value)
                        }
                    } else {
                        threshold = Float(numbers[base + 3])
                        guard threshold.isFinite else { throw CascadeError("\(place): node \(nodeIndex) has a non-finite threshold") }
                    }
                    nodes.append(Node(left: left, right: right, feature: feature, threshold: threshold))
                }
                let converted = leafValues.map(Float.init)
                guard converted.allSatisfy(\.isFinite) else { throw CascadeError("\(place): a leaf value is not finite") }
                trees.append(Tree(firstNode: nodes.count - nodeCount, nodeCount: nodeCount, firstLeaf: leaves.count))
                leaves.append(contentsOf: converted)
            }
            stages.append(Stage(firstTree: firstTree, treeCount: trees.count - firstTree, threshold: threshold - Self.stageThresholdEpsilon))
        }
        self.stages = stages
        self.trees = trees
        self.nodes = nodes
        self.leaves = leaves
        self.subsets = subsets
        self.haarFeatures = haarFeatures
        self.lbpFeatures = lbpFeatures
    }

    private static func haarFeature(_ element: XMLElement, index: Int, window: (Int, Int)) throws(CascadeError) -> HaarFeature {
        guard let rectList = element.child("rects"), (1...3).contains(rectList.children.count) else {
            throw CascadeError("Haar feature \(index) needs one to three <rects> entries")
        }
        var tilted = false
        if let flag = element.child("tilted") {
            guard let value = Int(flag.text.trimmed), value == 0 || value == 1 else { throw CascadeError("Haar feature \(index): <tilted> must be 0 or 1") }
            tilted = value == 1
        }
        var rects: [WeightedRect] = []
        for entry in rectList.children {
            let values = try parseNumbers(entry.text, place: "Haar feature \(index)")
            guard values.count == 5, let x = exactInt(values[0]), let y = exactInt(values[1]),
                  let width = exactInt(values[2]), let height = exactInt(values[3]) else {
                throw CascadeError("Haar feature \(index): a rectangle must be 'x y width height weight' with integer geometry")
            }
            let weight = Float(values[4])
            guard weight.isFinite, width > 0, height > 0, x >= 0, y >= 0 else {
                throw CascadeError("Haar feature \(index): rectangle \(x) \(y) \(width) \(height) \(values[4]) is invalid")
            }
            // Upright rectangles span [x, x+w]×[y, y+h] integral points; a
            // tilted one reaches from (x−h, y) to (x+w, y+w+h).
            let fits = tilted
                ? x - height >= 0 && x + width <= window.0 && y + width + height <= window.1
                : x + width <= window.0 && y + height <= window.1
            guard fits else { throw CascadeError("Haar feature \(index): rectangle \(x) \(y) \(width) \(height) leaves the \(window.0)×\(window.1) window") }
            rects.append(WeightedRect(x: x, y: y, width: width, height: height, weight: weight))
        }
        return HaarFeature(rects: rects, tilted: tilted)
    }

    private static func lbpFeature(_ element: XMLElement, index: Int, window: (Int, Int)) throws(CascadeError) -> LBPFeature {
        let values = try numbers(element, "rect", place: "LBP feature \(index)")
        guard values.count == 4, let x = exactInt(values[0]), let y = exactInt(values[1]),
              let width = exactInt(values[2]), let height = exactInt(values[3]) else {
            throw CascadeError("LBP feature \(index): <rect> must be four integers")
        }
        guard x >= 0, y >= 0, width > 0, height > 0, x + 3 * width <= window.0, y + 3 * height <= window.1 else {
            throw CascadeError("LBP feature \(index): 3×3 blocks of \(width)×\(height) at (\(x), \(y)) leave the \(window.0)×\(window.1) window")
        }
        return LBPFeature(x: x, y: y, width: width, height: height)
    }

    private static func word(_ element: XMLElement, _ name: String) throws(CascadeError) -> String {
        guard let child = element.child(name) else { throw CascadeError("no <\(name)>") }
        return child.text.trimmed
    }

    private static func integer(_ element: XMLElement, _ name: String, in range: ClosedRange<Int>) throws(CascadeError) -> Int {
        let text = try word(element, name)
        guard let value = Int(text), range.contains(value) else { throw CascadeError("<\(name)> is '\(text)', not an integer in \(range)") }
        return value
    }

    private static func float(_ element: XMLElement, _ name: String) throws(CascadeError) -> Float {
        let text = try word(element, name)
        // OpenCV reads every number as a double and narrows it to float.
        guard let value = Double(text), Float(value).isFinite else { throw CascadeError("<\(name)> is '\(text)', not a number") }
        return Float(value)
    }

    private static func numbers(_ element: XMLElement, _ name: String, place: String) throws(CascadeError) -> [Double] {
        guard let child = element.child(name) else { throw CascadeError("\(place): no <\(name)>") }
        return try parseNumbers(child.text, place: place)
    }

    private static func parseNumbers(_ text: String, place: String) throws(CascadeError) -> [Double] {
        var values: [Double] = []
        // Whitespace includes "\r\n", a single Character in Swift: some
        // shipped cascades have DOS line ends.
        for token in text.split(whereSeparator: \.isWhitespace) {
            guard let value = Double(token), value.isFinite else { throw CascadeError("\(place): '\(token.prefix(40))' is not a number") }
            values.append(value)
        }
        return values
    }

    private static func exactInt(_ value: Double) -> Int? {
        guard value == value.rounded(), abs(value) <= 1_000_000 else { return nil }
        return Int(value)
    }

    private static func exactInt32(_ value: Double) -> Int32? {
        guard value == value.rounded(), value >= Double(Int32.min), value <= Double(Int32.max) else { return nil }
        return Int32(value)
    }
}

extension String {
    var trimmed: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
