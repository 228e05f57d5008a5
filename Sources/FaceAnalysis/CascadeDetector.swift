import FrameForensics

/// The knobs of a multi-scale scan, with OpenCV's meanings and defaults.
public struct DetectionParameters: Hashable, Sendable, Codable {
    /// Each pyramid level is this much smaller than the last (> 1).
    public var scaleFactor: Double
    /// A face needs more than this many overlapping raw detections.
    public var minNeighbors: Int
    /// Smallest face box side in pixels (0: the cascade's window).
    public var minSize: Int
    /// Largest face box side in pixels (nil: the whole image).
    public var maxSize: Int?

    public init(scaleFactor: Double = 1.1, minNeighbors: Int = 3, minSize: Int = 0, maxSize: Int? = nil) {
        self.scaleFactor = scaleFactor
        self.minNeighbors = minNeighbors
        self.minSize = minSize
        self.maxSize = maxSize
    }
}

/// Anything that finds face boxes in a luma plane: the seam between the
/// face session and the detector, so tests can script what is found.
public protocol FaceDetecting: Sendable {
    func detect(in image: LumaPlane, parameters: DetectionParameters) -> [FaceBox]
}

/// Runs a cascade over every position and scale of a luma plane and groups
/// the hits into faces, reproducing `cv::CascadeClassifier::detectMultiScale`
/// (OpenCV 4.x, one thread): the same scale list, bit-exact downscaling,
/// the same step rule and early rejection, and `groupRectangles`.
public struct CascadeDetector: FaceDetecting {
    public let cascade: Cascade

    public init(cascade: Cascade) {
        self.cascade = cascade
    }

    /// Pyramid levels scanned at most.
    static let maximumLevels = 1000

    /// Faces in `image`, largest first.
    public func detect(in image: LumaPlane, parameters: DetectionParameters = DetectionParameters()) -> [FaceBox] {
        let raw = candidates(in: image, parameters: parameters)
        return RectangleGrouping.group(raw, threshold: parameters.minNeighbors, eps: RectangleGrouping.openCVEps)
            .compactMap { $0.clipped(width: image.width, height: image.height) }
            .sorted { ($0.area, $1.y, $1.x) > ($1.area, $0.y, $0.x) }
    }

    /// The pyramid's scale factors, as OpenCV 4.x's
    /// detectMultiScaleNoGrouping chooses them: the window grows by
    /// `scaleFactor` (a double, multiplied up) while it fits the image; then,
    /// in single precision, levels past `maxSize` end the list and levels
    /// below `minSize` are skipped. If none is left, the level whose window
    /// is nearest `minSize` is scanned alone.
    func scales(width: Int, height: Int, parameters: DetectionParameters) -> [Float] {
        let windowWidth = cascade.windowWidth, windowHeight = cascade.windowHeight
        guard parameters.scaleFactor > 1, parameters.scaleFactor.isFinite, width >= windowWidth, height >= windowHeight else { return [] }
        let maxWidth = parameters.maxSize ?? width
        let maxHeight = parameters.maxSize ?? height
        var all: [Float] = []
        var factor = 1.0
        // A factor barely above 1 would make millions of levels; no image is
        // worth more than this many (1.01 reaches 16384 px from 24 in ~660).
        while all.count < Self.maximumLevels,
              OpenCVRounding.round(Double(windowWidth) * factor) <= width && OpenCVRounding.round(Double(windowHeight) * factor) <= height {
            all.append(Float(factor))
            factor *= parameters.scaleFactor
        }
        func window(_ scale: Float) -> (Int, Int) {
            (OpenCVRounding.round(Float(windowWidth) * scale), OpenCVRounding.round(Float(windowHeight) * scale))
        }
        var result: [Float] = []
        for scale in all {
            let size = window(scale)
            if size.0 > maxWidth || size.1 > maxHeight { break }
            if size.0 < parameters.minSize || size.1 < parameters.minSize { continue }
            result.append(scale)
        }
        if result.isEmpty, !all.isEmpty {
            var best = 0
            var bestDistance = Double.infinity
            for (index, scale) in all.enumerated() {
                let size = window(scale)
                let dx = Double(parameters.minSize - size.0), dy = Double(parameters.minSize - size.1)
                let distance = dx * dx + dy * dy
                if distance < bestDistance {
                    best = index
                    bestDistance = distance
                }
            }
            result.append(all[best])
        }
        return result
    }

    /// Every window the cascade accepts, before grouping, in image pixels.
    func candidates(in image: LumaPlane, parameters: DetectionParameters) -> [FaceBox] {
        let levels = scales(width: image.width, height: image.height, parameters: parameters)
        guard !levels.isEmpty else { return [] }
        let stride = image.width + 1
        var integrals = IntegralImages(stride: stride, width: image.width, height: image.height, tilted: cascade.usesTiltedFeatures)
        let program = CascadeProgram(cascade: cascade, stride: stride, tiltedStride: integrals.tiltedStride)
        var scaled: [UInt8] = []
        var found: [FaceBox] = []
        // OpenCV splits each level's rows into stripes sized from the first
        // level; rows past nstripes × stripeSize are never scanned.
        let firstWorkWidth = max(OpenCVRounding.round(Float(image.width) / levels[0]) + 1 - cascade.windowWidth, 0)
        let stripes = max((firstWorkWidth + 31) / 32, 1)
        for scale in levels {
            let width = OpenCVRounding.round(Float(image.width) / scale)
            let height = OpenCVRounding.round(Float(image.height) / scale)
            BitExactResize.resize(image, width: width, height: height, into: &scaled)
            integrals.compute(pixels: scaled, width: width, height: height, squares: cascade.kind == .haar)
            let step = scale >= 2 ? 1 : 2
            let workWidth = max(width + 1 - cascade.windowWidth, 0)
            let fullHeight = max(height + 1 - cascade.windowHeight, 0)
            let stripeSize = max((fullHeight / step + stripes - 1) / stripes, 1) * step
            let workHeight = min(stripes * stripeSize, fullHeight)
            let window = (OpenCVRounding.round(Float(cascade.windowWidth) * scale), OpenCVRounding.round(Float(cascade.windowHeight) * scale))
            program.scan(integrals, workWidth: workWidth, workHeight: workHeight, step: step) { x, y in
                found.append(FaceBox(x: OpenCVRounding.round(Float(x) * scale), y: OpenCVRounding.round(Float(y) * scale),
                                     width: window.0, height: window.1))
            }
        }
        return found
    }
}

/// A split node compiled against one integral stride: its feature's corner
/// offsets and weights inline, so a window's evaluation walks one flat array.
struct CompiledNode {
    /// Haar: corners of up to three rectangles (12 used); LBP: the 4×4 grid
    /// points of the 3×3 blocks, row-major.
    var offsets: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                  Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
    var weights: (Float, Float, Float)
    var threshold: Float
    var left: Int32
    var right: Int32
    /// For stump cascades: the two leaf values, inline.
    var leafLeft: Float
    var leafRight: Float
    /// Haar: read the rotated integral.
    var tilted: Bool
}

/// A cascade compiled against one integral stride: flat tables of nodes,
/// trees and stages, evaluated over raw buffers.
struct CascadeProgram: Sendable {
    let kind: Cascade.Kind
    let stride: Int
    let nodes: [CompiledNode]
    let trees: [Cascade.Tree]
    let stages: [Cascade.Stage]
    let leaves: [Float]
    let subsets: [Int32]
    /// Corners of the Haar variance window (the window minus a 1-pixel
    /// border, OpenCV's normrect) and its area.
    let normOffsets: (Int, Int, Int, Int)
    let normArea: Double
    let stumps: Bool

    init(cascade: Cascade, stride: Int, tiltedStride: Int = 0) {
        kind = cascade.kind
        self.stride = stride
        stumps = cascade.isStumpBased
        trees = cascade.trees
        stages = cascade.stages
        leaves = cascade.leaves
        subsets = cascade.subsets
        var leafBaseOfNode = [Int](repeating: 0, count: cascade.nodes.count)
        for tree in cascade.trees {
            for node in tree.firstNode..<(tree.firstNode + tree.nodeCount) { leafBaseOfNode[node] = tree.firstLeaf }
        }
        var compiled: [CompiledNode] = []
        compiled.reserveCapacity(cascade.nodes.count)
        for (index, node) in cascade.nodes.enumerated() {
            var points = [Int32](repeating: 0, count: 16)
            var weights: [Float] = [0, 0, 0]
            var tilted = false
            switch cascade.kind {
            case .haar:
                let feature = cascade.haarFeatures[Int(node.feature)]
                tilted = feature.tilted
                for (slot, r) in feature.rects.enumerated() {
                    let corners: [Int]
                    if feature.tilted {
                        // Corners (x, y), (x−h, y+h), (x+w, y+w), (x−h+w, y+w+h).
                        let t = tiltedStride
                        corners = [r.x + t * r.y, r.x - r.height + t * (r.y + r.height),
                                   r.x + r.width + t * (r.y + r.width), r.x - r.height + r.width + t * (r.y + r.width + r.height)]
                    } else {
                        corners = [r.x + stride * r.y, r.x + r.width + stride * r.y,
                                   r.x + stride * (r.y + r.height), r.x + r.width + stride * (r.y + r.height)]
                    }
                    for corner in 0..<4 { points[4 * slot + corner] = Int32(corners[corner]) }
                    weights[slot] = r.weight
                }
            case .lbp:
                let feature = cascade.lbpFeatures[Int(node.feature)]
                for row in 0..<4 {
                    for column in 0..<4 {
                        points[4 * row + column] = Int32(feature.x + column * feature.width + stride * (feature.y + row * feature.height))
                    }
                }
            }
            let leafBase = leafBaseOfNode[index]
            compiled.append(CompiledNode(
                offsets: (points[0], points[1], points[2], points[3], points[4], points[5], points[6], points[7],
                          points[8], points[9], points[10], points[11], points[12], points[13], points[14], points[15]),
                weights: (weights[0], weights[1], weights[2]), threshold: node.threshold, left: node.left, right: node.right,
                leafLeft: cascade.leaves[leafBase], leafRight: cascade.leaves[leafBase + 1], tilted: tilted))
        }
        nodes = compiled
        let normWidth = cascade.windowWidth - 2
        let normHeight = cascade.windowHeight - 2
        normOffsets = (1 + stride, 1 + normWidth + stride, 1 + stride * (1 + normHeight), 1 + normWidth + stride * (1 + normHeight))
        normArea = Double(normWidth * normHeight)
    }

    /// Visits every window position of one level, OpenCV's way: rows and
    /// columns `step` apart, and the next column skipped after a window
    /// that failed the very first stage.
    func scan(_ integrals: IntegralImages, workWidth: Int, workHeight: Int, step: Int, accept: (Int, Int) -> Void) {
        guard workWidth > 0, workHeight > 0 else { return }
        integrals.sum.withUnsafeBufferPointer { sum in
        integrals.squares.withUnsafeBufferPointer { squares in
        integrals.tilted.withUnsafeBufferPointer { tilted in
        nodes.withUnsafeBufferPointer { nodes in
        leaves.withUnsafeBufferPointer { leaves in
        subsets.withUnsafeBufferPointer { subsets in
        trees.withUnsafeBufferPointer { trees in
        stages.withUnsafeBufferPointer { stages in
            guard let sumBase = sum.baseAddress else { return }
            var evaluator = WindowEvaluator(
                squares: squares.baseAddress, tilted: tilted.baseAddress, nodes: nodes, leaves: leaves, subsets: subsets,
                trees: trees, stages: stages, normOffsets: normOffsets, normArea: normArea)
            var y = 0
            while y < workHeight {
                var x = 0
                let rowBase = y * stride
                let tiltedRowBase = y * integrals.tiltedStride + integrals.tiltedPad
                while x < workWidth {
                    let result: Int
                    switch (kind, stumps) {
                    case (.haar, true): result = evaluator.haarStumps(sum: sumBase, at: rowBase + x, tiltedAt: tiltedRowBase + x)
                    case (.haar, false): result = evaluator.haarTrees(sum: sumBase, at: rowBase + x, tiltedAt: tiltedRowBase + x)
                    case (.lbp, true): result = evaluator.lbpStumps(sum: sumBase + rowBase + x)
                    case (.lbp, false): result = evaluator.lbpTrees(sum: sumBase + rowBase + x)
                    }
                    if result > 0 { accept(x, y) }
                    if result == 0 { x += step }
                    x += step
                }
                y += step
            }
        }
        }
        }
        }
        }
        }
        }
        }
    }
}

/// One window's evaluation over raw table pointers. Results follow
/// OpenCV's runAt: 1 accepted, −k rejected at stage k (0 at the first
/// stage), −1 also for a Haar window too flat to normalise.
struct WindowEvaluator {
    let squares: UnsafePointer<UInt32>?
    let tilted: UnsafePointer<Int32>?
    let nodes: UnsafeBufferPointer<CompiledNode>
    let leaves: UnsafeBufferPointer<Float>
    let subsets: UnsafeBufferPointer<Int32>
    let trees: UnsafeBufferPointer<Cascade.Tree>
    let stages: UnsafeBufferPointer<Cascade.Stage>
    let normOffsets: (Int, Int, Int, Int)
    let normArea: Double
    var varianceNorm: Float = 1

    /// OpenCV rejects a window whose normalised contrast is this low:
    /// area/(σ·area) ≥ 0.1, i.e. a luma standard deviation of 10 or less
    /// (HaarEvaluator::setWindow).
    static let flatWindowLimit = 0.1

    /// Sets the variance normalisation for the window at `base`; false when
    /// the window is too flat to evaluate.
    @inline(__always) private mutating func normalise(_ sum: UnsafePointer<Int32>, _ base: Int) -> Bool {
        guard let squares else { return false }
        let n = normOffsets
        let windowSum = sum[base + n.0] &- sum[base + n.1] &- sum[base + n.2] &+ sum[base + n.3]
        let windowSquares = squares[base + n.0] &- squares[base + n.1] &- squares[base + n.2] &+ squares[base + n.3]
        let spread = normArea * Double(windowSquares) - Double(windowSum) * Double(windowSum)
        guard spread > 0 else {
            varianceNorm = 1
            return false
        }
        varianceNorm = Float(1 / spread.squareRoot())
        return normArea * Double(varianceNorm) < Self.flatWindowLimit
    }

    /// A Haar feature's value: Σ weight × rectangle sum, in single
    /// precision and OpenCV's order, times the window's variance norm.
    @inline(__always) private func haarValue(_ node: UnsafePointer<CompiledNode>, _ sum: UnsafePointer<Int32>, _ tiltedSum: UnsafePointer<Int32>?) -> Float {
        let p = node.pointee.tilted ? (tiltedSum ?? sum) : sum
        let o = node.pointee.offsets
        let w = node.pointee.weights
        @inline(__always) func box(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Float {
            Float(p[Int(a)] &- p[Int(b)] &- p[Int(c)] &+ p[Int(d)])
        }
        var value = w.0 * box(o.0, o.1, o.2, o.3) + w.1 * box(o.4, o.5, o.6, o.7)
        if w.2 != 0 { value += w.2 * box(o.8, o.9, o.10, o.11) }
        return value * varianceNorm
    }

    /// Haar stages of depth-1 trees (most of Debian's opencv-data cascades,
    /// frontalface_default among them): the innermost loop of detection,
    /// kept apart from `haarTrees` so it walks the nodes without the tree
    /// indirection.
    mutating func haarStumps(sum: UnsafePointer<Int32>, at base: Int, tiltedAt tiltedBase: Int) -> Int {
        guard normalise(sum, base) else { return -1 }
        guard let node0 = nodes.baseAddress else { return -1 }
        let window = sum + base
        let tiltedWindow = tilted.map { $0 + tiltedBase }
        for stageIndex in 0..<stages.count {
            let stage = stages[stageIndex]
            var total: Double = 0
            var node = node0 + stage.firstTree
            let end = node + stage.treeCount
            while node < end {
                let value = haarValue(node, window, tiltedWindow)
                total += Double(value < node.pointee.threshold ? node.pointee.leafLeft : node.pointee.leafRight)
                node += 1
            }
            if total < Double(stage.threshold) { return -stageIndex }
        }
        return 1
    }

    /// Haar stages with deeper trees (frontalface_alt_tree, the 2splits eye
    /// cascades): each tree is walked from its root to a leaf.
    mutating func haarTrees(sum: UnsafePointer<Int32>, at base: Int, tiltedAt tiltedBase: Int) -> Int {
        guard normalise(sum, base) else { return -1 }
        guard let node0 = nodes.baseAddress else { return -1 }
        let window = sum + base
        let tiltedWindow = tilted.map { $0 + tiltedBase }
        for stageIndex in 0..<stages.count {
            let stage = stages[stageIndex]
            var total: Double = 0
            for treeIndex in stage.firstTree..<(stage.firstTree + stage.treeCount) {
                let tree = trees[treeIndex]
                var index = 0
                repeat {
                    let node = node0 + tree.firstNode + index
                    let value = haarValue(node, window, tiltedWindow)
                    index = Int(value < node.pointee.threshold ? node.pointee.left : node.pointee.right)
                } while index > 0
                total += Double(leaves[tree.firstLeaf - index])
            }
            if total < Double(stage.threshold) { return -stageIndex }
        }
        return 1
    }

    /// The multi-block LBP code of a node's feature: the centre block's sum
    /// against its 8 neighbours, clockwise from the top-left (bit 7) to the
    /// middle-left (bit 0), as OpenCV's LBPEvaluator numbers them.
    @inline(__always) private func lbpCode(_ node: UnsafePointer<CompiledNode>, _ p: UnsafePointer<Int32>) -> Int {
        let o = node.pointee.offsets
        @inline(__always) func block(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Int32 {
            p[Int(a)] &- p[Int(b)] &- p[Int(c)] &+ p[Int(d)]
        }
        let centre = block(o.5, o.6, o.9, o.10)
        var code = 0
        if block(o.0, o.1, o.4, o.5) >= centre { code |= 128 }
        if block(o.1, o.2, o.5, o.6) >= centre { code |= 64 }
        if block(o.2, o.3, o.6, o.7) >= centre { code |= 32 }
        if block(o.6, o.7, o.10, o.11) >= centre { code |= 16 }
        if block(o.10, o.11, o.14, o.15) >= centre { code |= 8 }
        if block(o.9, o.10, o.13, o.14) >= centre { code |= 4 }
        if block(o.8, o.9, o.12, o.13) >= centre { code |= 2 }
        if block(o.4, o.5, o.8, o.9) >= centre { code |= 1 }
        return code
    }

    /// Whether an LBP code is in a node's category subset (go left).
    @inline(__always) private func inSubset(_ nodeIndex: Int, _ code: Int) -> Bool {
        let word = UInt32(bitPattern: subsets[nodeIndex &* Cascade.lbpSubsetWords &+ (code >> 5)])
        return word & (1 << UInt32(code & 31)) != 0
    }

    func lbpStumps(sum window: UnsafePointer<Int32>) -> Int {
        guard let node0 = nodes.baseAddress else { return -1 }
        for stageIndex in 0..<stages.count {
            let stage = stages[stageIndex]
            var total: Double = 0
            var nodeIndex = stage.firstTree
            let end = nodeIndex + stage.treeCount
            while nodeIndex < end {
                let node = node0 + nodeIndex
                let code = lbpCode(node, window)
                total += Double(inSubset(nodeIndex, code) ? node.pointee.leafLeft : node.pointee.leafRight)
                nodeIndex += 1
            }
            if total < Double(stage.threshold) { return -stageIndex }
        }
        return 1
    }

    func lbpTrees(sum window: UnsafePointer<Int32>) -> Int {
        guard let node0 = nodes.baseAddress else { return -1 }
        for stageIndex in 0..<stages.count {
            let stage = stages[stageIndex]
            var total: Double = 0
            for treeIndex in stage.firstTree..<(stage.firstTree + stage.treeCount) {
                let tree = trees[treeIndex]
                var index = 0
                repeat {
                    let nodeIndex = tree.firstNode + index
                    let code = lbpCode(node0 + nodeIndex, window)
                    index = Int(inSubset(nodeIndex, code) ? node0[nodeIndex].left : node0[nodeIndex].right)
                } while index > 0
                total += Double(leaves[tree.firstLeaf - index])
            }
            if total < Double(stage.threshold) { return -stageIndex }
        }
        return 1
    }
}
