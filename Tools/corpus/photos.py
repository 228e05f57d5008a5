"""The face photos behind the corpus, who is in them, where the face is, and
the identity-disjoint train/test split (issue 7, face PAD).

Who is in a photo: the kphotoalbum demo's own `index.xml` ("People" tags,
kphotoalbum 5.9.1-1, usr/share/kphotoalbum/demo/index.xml), the facedetect
example (Grace Hopper) and scikit-image's astronaut.png (Eileen Collins,
NASA). Where the face is: OpenCV 4 `haarcascade_frontalface_default.xml`
(Debian opencv-data), `detectMultiScale(gray, 1.1, 5, minSize=(40, 40))` on
the full-size photo, the largest box; `Tests/corpus/test_pad_species.py`
re-checks these boxes when the photos and cv2 are at hand. The generator
itself needs neither cv2 nor the XML.

Split rule (identity-disjoint): photos are grouped into identities by
union-find over (a) the people tagged in each photo and (b) file-name stems
(`jesper` and `jesper_2`, `grand_canyon_1..3`), over the photos in use. Each
identity is then assigned to "train" or "test" by the fixed table SPLITS; a
group not in the table (e.g. after adding a photo that links two people) is
an error, so a new photo forces an explicit decision instead of silently
leaking an identity across the split."""
import re

# file (relative to the fetch-real cache's real/), (width, height), people,
# Haar frontal-face box (x, y, w, h) in photo pixels or None, description.
CATALOGUE = {
    "grace_hopper_512x512.jpg": ((512, 512), ["Grace Hopper"], (153, 85, 228, 228),
                                 "facedetect: US Navy portrait of Grace Hopper, public domain"),
    "astronaut.png": ((512, 512), ["Eileen Collins"], (177, 66, 95, 95),
                      "scikit-image: NASA portrait of astronaut Eileen Collins, public domain"),
    "kphotoalbum-demo/anne_helene.jpg": ((400, 600), ["Anne Helene"], (135, 136, 102, 102),
                                         "kphotoalbum demo: woman sitting on a beach, frontal face"),
    "kphotoalbum-demo/jesper.jpg": ((800, 533), ["Jesper"], None,
                                    "kphotoalbum demo: close-up face, turned (no frontal Haar detection)"),
    "kphotoalbum-demo/jesper_2.jpg": ((800, 532), ["Jesper"], (219, 89, 317, 317),
                                      "kphotoalbum demo: close-up face"),
    "kphotoalbum-demo/new_wave_2.jpg": ((800, 549), ["Jesper"], (255, 148, 286, 286),
                                        "kphotoalbum demo: close-up face (tagged Jesper in index.xml)"),
    # Not used by any species; listed so the grouping rule sees the tags.
    "kphotoalbum-demo/new_wave_1.jpg": ((549, 800), ["Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/bar55.jpg": ((800, 600), ["Anne Helene", "Jesper"], None, "kphotoalbum demo: group"),
    "kphotoalbum-demo/bar55_2.jpg": ((800, 600), ["Anne Helene", "Jesper"], None, "kphotoalbum demo: group"),
    "kphotoalbum-demo/qt-logo.jpg": ((800, 542), ["Jesper", "Jim", "Wayne"], None, "kphotoalbum demo: group"),
    # One person each from the group photo qt-logo.jpg (CROPS below): who is
    # who from index.xml's face areas (Wayne "144 78 148 152", Jesper "342 89
    # 148 157", Jim "558 45 137 144"); the crops stop short of Jesper's face
    # and ear, so each shows one person only. Boxes are OpenCV's on the crop.
    "kphotoalbum-demo/qt-logo.jpg#Wayne": ((325, 542), ["Wayne"], (172, 78, 124, 124),
                                           "kphotoalbum demo: qt-logo.jpg columns 0-324, Wayne (left of three men)"),
    "kphotoalbum-demo/qt-logo.jpg#Jim": ((285, 542), ["Jim"], (34, 27, 160, 160),
                                         "kphotoalbum demo: qt-logo.jpg columns 515-799, Jim (right of three men)"),
    "kphotoalbum-demo/grand_canyon_1.jpg": ((800, 535), ["Anne Helene", "Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/grand_canyon_2.jpg": ((800, 600), ["Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/grand_canyon_3.jpg": ((800, 600), [], None, "kphotoalbum demo: landscape"),
    "kphotoalbum-demo/cold_water.jpg": ((800, 533), ["Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/pool.jpg": ((800, 600), ["Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/pool_2.jpg": ((600, 800), ["Jesper"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/wayne.jpg": ((600, 800), ["Jim", "Wayne"], None, "kphotoalbum demo"),
    "kphotoalbum-demo/donna.jpg": ((800, 532), ["Donna"], None, "kphotoalbum demo: a dog"),
    "kphotoalbum-demo/donna_2.jpg": ((800, 600), ["Donna"], None, "kphotoalbum demo: a dog"),
    "kphotoalbum-demo/blackie.jpg": ((800, 549), ["Blackie"], None, "kphotoalbum demo: a dog"),
    "kphotoalbum-demo/spiff.jpg": ((800, 551), ["Spiff"], None, "kphotoalbum demo: a rabbit"),
    "kphotoalbum-demo/spiff_2.jpg": ((800, 550), ["Spiff"], None, "kphotoalbum demo: a rabbit"),
}

# The photos the face-PAD species (genuine_face, print_attack,
# screen_attack) use: every cached photo with one clear frontal face.
# jesper.jpg is left out: its face is turned and the frontal cascade does
# not find it. Faces smaller than ~100 px (astronaut, anne_helene) are
# upscaled several times at 1280x720; the manifest records photo_upscale.
PAD_PHOTOS = ["grace_hopper_512x512.jpg", "astronaut.png", "kphotoalbum-demo/anne_helene.jpg",
              "kphotoalbum-demo/jesper_2.jpg", "kphotoalbum-demo/new_wave_2.jpg",
              "kphotoalbum-demo/qt-logo.jpg#Wayne", "kphotoalbum-demo/qt-logo.jpg#Jim"]

# Catalogue names that are a crop of a file: name -> (file, (x, y) of the
# crop's top-left corner in the file); the crop's size is the catalogue's.
CROPS = {"kphotoalbum-demo/qt-logo.jpg#Wayne": ("kphotoalbum-demo/qt-logo.jpg", (0, 0)),
         "kphotoalbum-demo/qt-logo.jpg#Jim": ("kphotoalbum-demo/qt-logo.jpg", (515, 0))}

# Identity -> split. Each side gets one identity with a large face in its
# photo (>= 228 px: Jesper, Grace Hopper) and one with a small one (~100 px:
# Eileen Collins, Anne Helene), so face resolution does not follow the split.
# Jim and Wayne (~125-160 px, both from one scanned group photo, so one
# print's tone and colour cast) both go to train: two more people to learn
# from without changing who the held-out split shows, and no photo shared
# across the split.
SPLITS = {"Jesper": "train", "Eileen Collins": "train", "Jim": "train", "Wayne": "train",
          "Grace Hopper": "test", "Anne Helene": "test"}


def stem(name):
    """File-name stem without directory, extension and a trailing _N; a
    crop keeps its person (`qt-logo#Jim`), so crops of one group photo do
    not merge through the file name (their people still decide)."""
    name, _, person = name.partition("#")
    base = re.sub(r"_\d+$", "", name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return base + "#" + person if person else base


def file_of(name):
    """The file (relative to the fetch-real cache's real/) behind a catalogue name."""
    return CROPS[name][0] if name in CROPS else name


def identities(names):
    """{photo name: identity group name} for the photos in use: union-find
    over shared people and shared stems. A group is named by its people
    (sorted, joined with ' + '), or 'stem:NAME' when nobody is tagged."""
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(a, b):
        parent[find(a)] = find(b)

    by_key = {}
    for n in names:
        keys = ["stem:" + stem(n)] + ["person:" + p for p in people(n)]
        for key in keys:
            if key in by_key:
                union(n, by_key[key])
            else:
                by_key[key] = n
    groups = {}
    for n in names:
        groups.setdefault(find(n), []).append(n)
    out = {}
    for members in groups.values():
        tagged = sorted({p for m in members for p in people(m)})
        label = " + ".join(tagged) if tagged else "stem:" + stem(sorted(members)[0])
        for m in members:
            out[m] = label
    return out


def people(name):
    entry = CATALOGUE.get(name)
    return list(entry[1]) if entry else []


def split_of(identity):
    if identity not in SPLITS:
        raise KeyError(f"identity {identity!r} has no split in Tools/corpus/photos.py SPLITS; add one")
    return SPLITS[identity]


def label(name, in_use=None):
    """(identity, split) of a photo, grouping over `in_use` (default: the
    PAD photos plus the forensics species' photos); (None, None) for photos
    not in the catalogue (the tests' synthetic arrays)."""
    if name not in CATALOGUE:
        return None, None
    pool = sorted(set(in_use or []) | set(PAD_PHOTOS) | set(FORENSICS_PHOTOS) | {name})
    identity = identities(pool)[name]
    return identity, split_of(identity)


# The photos of the frame-forensics species (media.REAL_PHOTOS), here for
# the grouping.
FORENSICS_PHOTOS = ["grace_hopper_512x512.jpg", "kphotoalbum-demo/jesper.jpg", "kphotoalbum-demo/jesper_2.jpg",
                    "kphotoalbum-demo/new_wave_2.jpg"]


class Photo:
    """A face photo as the PAD species use it: the image (a path, or a
    uint8 (h, w, 3) sRGB array in the tests), its catalogue name, its size
    and its frontal-face box, and for a crop its offset in the file."""

    def __init__(self, name, source, face_box, size=None, offset=(0, 0)):
        self.name, self.source = name, source
        # Top-left corner of the photo in its file (a crop), file pixels.
        self.offset = tuple(int(v) for v in offset)
        self.face_box = tuple(float(v) for v in face_box)
        if size is None:
            if hasattr(source, "shape"):
                size = (source.shape[1], source.shape[0])
            else:
                size = CATALOGUE[name][0]
        self.size = tuple(int(v) for v in size)

    @classmethod
    def from_catalogue(cls, name, path):
        size, _, box, _ = CATALOGUE[name]
        if box is None:
            raise ValueError(f"{name} has no frontal face box")
        return cls(name, path, box, size, CROPS[name][1] if name in CROPS else (0, 0))
