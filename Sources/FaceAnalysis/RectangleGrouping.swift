/// Merges a detector's raw hits into faces the way OpenCV's
/// `groupRectangles` does: cluster boxes that are similar within `eps`,
/// keep clusters with more than `threshold` members, average each cluster
/// and drop a small cluster that sits inside a much better supported one.
public enum RectangleGrouping {
    /// detectMultiScale's GROUP_EPS.
    public static let openCVEps = 0.2

    /// Boxes whose four edges all lie within eps × their mean smaller side.
    static func similar(_ a: FaceBox, _ b: FaceBox, eps: Double) -> Bool {
        let delta = eps * Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5
        return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
            && Double(abs(a.x + a.width - b.x - b.width)) <= delta && Double(abs(a.y + a.height - b.y - b.height)) <= delta
    }

    public static func group(_ boxes: [FaceBox], threshold: Int, eps: Double) -> [FaceBox] {
        // With no neighbour requirement OpenCV returns the raw hits.
        guard threshold > 0, !boxes.isEmpty else { return boxes }
        let labels = partition(boxes, eps: eps)
        let classCount = (labels.max() ?? -1) + 1
        var totals = [(x: Int, y: Int, width: Int, height: Int)](repeating: (0, 0, 0, 0), count: classCount)
        var members = [Int](repeating: 0, count: classCount)
        for (box, label) in zip(boxes, labels) {
            totals[label].x += box.x
            totals[label].y += box.y
            totals[label].width += box.width
            totals[label].height += box.height
            members[label] += 1
        }
        // Averages are rounded in single precision, as OpenCV does with
        // saturate_cast<int>(sum × (1.f / n)).
        let averages = (0..<classCount).map { label -> FaceBox in
            let inverse = 1 / Float(members[label])
            let t = totals[label]
            return FaceBox(x: OpenCVRounding.round(Float(t.x) * inverse), y: OpenCVRounding.round(Float(t.y) * inverse),
                           width: OpenCVRounding.round(Float(t.width) * inverse), height: OpenCVRounding.round(Float(t.height) * inverse))
        }
        var result: [FaceBox] = []
        for i in 0..<classCount where members[i] > threshold {
            let inner = averages[i]
            let swallowed = (0..<classCount).contains { j in
                guard j != i, members[j] > threshold else { return false }
                let outer = averages[j]
                let dx = OpenCVRounding.round(Double(outer.width) * eps)
                let dy = OpenCVRounding.round(Double(outer.height) * eps)
                return inner.x >= outer.x - dx && inner.y >= outer.y - dy
                    && inner.x + inner.width <= outer.x + outer.width + dx && inner.y + inner.height <= outer.y + outer.height + dy
                    && (members[j] > max(3, members[i]) || members[i] < 3)
            }
            if !swallowed { result.append(inner) }
        }
        return result
    }

    /// Equivalence classes of the transitive closure of `similar`, numbered
    /// in order of first appearance (union–find).
    static func partition(_ boxes: [FaceBox], eps: Double) -> [Int] {
        var parent = Array(boxes.indices)
        func root(_ index: Int) -> Int {
            var node = index
            while parent[node] != node { node = parent[node] }
            var walk = index
            while parent[walk] != node {
                let next = parent[walk]
                parent[walk] = node
                walk = next
            }
            return node
        }
        for i in boxes.indices {
            for j in 0..<i where similar(boxes[i], boxes[j], eps: eps) {
                let a = root(i), b = root(j)
                if a != b { parent[a] = b }
            }
        }
        var labelOfRoot: [Int: Int] = [:]
        return boxes.indices.map { index in
            let r = root(index)
            if let label = labelOfRoot[r] { return label }
            let label = labelOfRoot.count
            labelOfRoot[r] = label
            return label
        }
    }
}
