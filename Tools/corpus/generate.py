#!/usr/bin/env python3
"""Generates the frame-forensics evaluation corpus (issue 6): .cgcap captures
of genuine (simulated sensor) and attack species, plus OUT_DIR/manifest.json.

Usage:
  generate.py OUT_DIR [--size 1280x720] [--seconds 3] [--fps 30] [--count N]
              [--seed S] [--species a,b,...|pad] [--mjpeg] [--jobs N]
              [--enroll-seconds 2.5] [--no-sensors] [--pad-params JSON]

Writes OUT_DIR/SPECIES/SPECIES-NNN.cgcap (N per species; genuine_mjpeg gets
max(1, N/5) unless --mjpeg asks for N), OUT_DIR/sensors/{A,B}-enroll.cgcap
(PRNU enrollment captures of sensor A, the enrolled camera, and sensor B,
another camera of the same model) unless --no-sensors, and manifest.json.

The face-PAD species (issue 7: genuine_face, print_attack, screen_attack;
"--species pad" for all three) are not in the default set; --mjpeg makes
them MJPEG instead of YUYV; --pad-params fixes some of their random choices
(e.g. '{"lpi": 85, "device": "monitor", "distance_index": 2}', see
pad.PrintScene / pad.DisplayScene). Print and screen attacks are SIMULATED
recaptures (Tools/corpus/pad.py).

Genuine captures are SIMULATED by a physically based sensor model
(Tools/corpus/sensor.py) from real face photos fetched by
Tools/corpus/fetch-real; see species.py for the species. Output is a pure
function of the arguments: the same command writes the same bytes.
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "captures"))

import cgcap  # noqa: E402
import media  # noqa: E402
import photos as catalogue  # noqa: E402
import species as sp  # noqa: E402
import timing  # noqa: E402


def log(message):
    print(f"generate: {message}", file=sys.stderr, flush=True)


def cached_photos(names, what):
    """Real paths of NAMES in the fetch-real cache, running fetch-real first
    when any is missing."""
    base = os.path.join(media.data_dir(), "real")
    paths = [os.path.join(base, name) for name in names]
    if not all(os.path.exists(p) for p in paths):
        log(f"{what} not cached; running Tools/corpus/fetch-real")
        result = subprocess.run([os.path.join(HERE, "fetch-real")], stdout=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit(f"generate: Tools/corpus/fetch-real failed (see above); the corpus needs its {what}")
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        sys.exit(f"generate: missing {missing[0]} after fetch-real")
    return [os.path.realpath(p) for p in paths]


def photos():
    """The face photos from the fetch-real cache, fetching them if needed."""
    return cached_photos([name for name, _ in media.REAL_PHOTOS], "face photos")


def pad_photos():
    """The face-PAD species' photos (photos.PAD_PHOTOS) with their face
    boxes, from the fetch-real cache, fetching them if needed."""
    paths = cached_photos([catalogue.file_of(name) for name in catalogue.PAD_PHOTOS], "PAD face photos")
    return [catalogue.Photo.from_catalogue(name, p) for name, p in zip(catalogue.PAD_PHOTOS, paths)]


_BY_BASENAME = {name.rsplit("/", 1)[-1]: name for name in catalogue.CATALOGUE}


def photo_fields(info):
    """photo (catalogue name), identity and split of a capture (null
    without a catalogued photo); a splice of two identities is split
    "mixed"."""
    names = []
    if info.get("photo"):
        names.append(info["photo"])
    for key in ("scene", "scene2"):
        if isinstance(info.get(key), dict) and info[key].get("photo"):
            names.append(info[key]["photo"])
    names = [_BY_BASENAME.get(n, n) for n in names]
    if not names or names[0] not in catalogue.CATALOGUE:
        return {"photo": names[0] if names else None, "identity": None, "split": None}
    labels = [catalogue.label(n) for n in names if n in catalogue.CATALOGUE]
    out = {"photo": names[0], "identity": labels[0][0], "split": labels[0][1]}
    if len(names) > 1:
        out["photo2"] = names[1]
        out["identity2"] = labels[-1][0]
        if labels[-1][1] != labels[0][1]:
            out["split"] = "mixed"
    return out


def make_one(task):
    """Writes one capture; returns its manifest entry."""
    spec, out_dir, relative = task
    started = time.time()
    path = os.path.join(out_dir, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fourcc, metas, payloads, info = sp.build(spec)
    writer = cgcap.Writer(path, sp.header(spec, fourcc))
    try:
        for meta, payload in zip(metas, payloads):
            meta = dict(meta, bytesused=len(payload))
            writer.frame(meta, payload)
    except BaseException:
        writer.abort()
        raise
    writer.close({"frames": writer.frames, "reason": "complete"})
    if writer.frames != len(metas):
        raise RuntimeError(f"{relative}: wrote {writer.frames} frames of {len(metas)}")
    size = os.path.getsize(path)
    took = time.time() - started
    log(f"{relative}: {writer.frames} frames {fourcc} {spec.width}x{spec.height}, {size / 1e6:.1f} MB in {took:.1f} s")
    entry = {"path": relative, "species": spec.species,
             "genuine": (spec.species in sp.GENUINE or spec.species in sp.PAD_SPECIES) and spec.sensor == "A",
             "sensor": spec.sensor, "seed": spec.seed_sequence(), "fourcc": fourcc,
             "width": spec.width, "height": spec.height, "fps": spec.fps, "frames": writer.frames,
             "seconds": spec.seconds, "bytes": size, "timing": timing.describe(metas),
             "generate_s": round(took, 2)}
    entry.update(info)
    entry.update(photo_fields(info))
    return entry


def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size {text!r}, expected WxH")
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("width and height must be positive and even")
    return w, h


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--count", type=int, default=5, help="captures per species (default 5)")
    parser.add_argument("--seed", type=int, default=6, help="corpus seed (default 6)")
    parser.add_argument("--species", default=",".join(sp.SPECIES),
                        help="comma-separated species (default: the frame-forensics ones): " + ", ".join(sp.SPECIES) +
                        "; face PAD (or 'pad' for all three): " + ", ".join(sp.PAD_SPECIES))
    parser.add_argument("--mjpeg", action="store_true",
                        help="as many genuine_mjpeg captures as --count; PAD species in MJPEG instead of YUYV")
    parser.add_argument("--pad-params", default="{}", help="JSON of fixed choices for the PAD species")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--enroll-seconds", type=float, default=2.5)
    parser.add_argument("--no-sensors", action="store_true", help="do not write sensors/{A,B}-enroll.cgcap")
    args = parser.parse_args(argv)
    wanted = []
    for s in args.species.split(","):
        for name in (sp.PAD_SPECIES if s == "pad" else [s] if s else []):
            if name not in wanted:
                wanted.append(name)
    unknown = [s for s in wanted if s not in sp.SPECIES and s not in sp.PAD_SPECIES]
    if unknown:
        parser.error(f"unknown species {unknown[0]!r}; known: {', '.join(sp.SPECIES + sp.PAD_SPECIES)}")
    try:
        pad_params = json.loads(args.pad_params)
        if not isinstance(pad_params, dict):
            raise ValueError("not an object")
    except ValueError as error:
        parser.error(f"--pad-params: {error}")
    if args.count < 0 or args.fps <= 0 or args.seconds <= 0:
        parser.error("--count, --fps and --seconds must be positive")
    width, height = args.size
    legacy = [s for s in wanted if s not in sp.PAD_SPECIES]
    faces = photos() if legacy or not wanted else []
    pad_faces = pad_photos() if any(s in sp.PAD_SPECIES for s in wanted) else []
    os.makedirs(args.out_dir, exist_ok=True)

    tasks = []
    if not args.no_sensors:
        for sensor in ("A", "B"):
            spec = sp.Spec("enroll", 0 if sensor == "A" else 1, width, height, args.fps, args.enroll_seconds,
                           args.seed, sensor=sensor)
            tasks.append((spec, args.out_dir, f"sensors/{sensor}-enroll.cgcap"))
    for name in wanted:
        count = args.count
        if name == "genuine_mjpeg" and not args.mjpeg:
            count = max(1, args.count // 5) if args.count else 0
        for i in range(count):
            if name in sp.PAD_SPECIES:
                spec = sp.Spec(name, i, width, height, args.fps, args.seconds, args.seed, photos=pad_faces,
                               mjpeg=args.mjpeg, params=pad_params)
            else:
                spec = sp.Spec(name, i, width, height, args.fps, args.seconds, args.seed, photos=faces)
            tasks.append((spec, args.out_dir, f"{name}/{name}-{i:03d}.cgcap"))
    log(f"{len(tasks)} captures, {width}x{height}, {args.seconds:g} s at {args.fps} fps, seed {args.seed}, "
        f"{args.jobs} job(s), into {args.out_dir}")
    started = time.time()
    if args.jobs > 1 and len(tasks) > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            entries = list(pool.imap_unordered(make_one, tasks))
    else:
        entries = [make_one(task) for task in tasks]
    entries.sort(key=lambda e: e["path"])
    manifest = {
        "schema": "captureguard.corpus/1",
        "about": "Frame-forensics evaluation corpus (issue 6). Genuine captures are SIMULATED by a physically "
                 "based sensor model (Tools/corpus/sensor.py) from real face photos; they are not camera "
                 "recordings. 'genuine' is true for live captures of sensor A (the enrolled camera); "
                 "attack_starts_s is when the attack first shows in the frames (null: never). Face-PAD species "
                 "(genuine_face, print_attack, screen_attack) are live sensor-A captures, so 'genuine' (to frame "
                 "forensics); their face-PAD label is pad.presentation (bona_fide, print, screen), and print and "
                 "screen attacks are SIMULATED recaptures (Tools/corpus/pad.py). photo, identity and split: the "
                 "source photo, its identity group and its train/test split (see split_rule).",
        "generator": "Tools/corpus/generate.py",
        "arguments": {"size": f"{width}x{height}", "seconds": args.seconds, "fps": args.fps, "count": args.count,
                      "seed": args.seed, "species": wanted, "mjpeg": args.mjpeg,
                      "enroll_seconds": args.enroll_seconds, "pad_params": pad_params},
        "photos": [{"file": os.path.basename(p), "what": what} for p, (_, what) in zip(faces, media.REAL_PHOTOS)],
        "pad_photos": [{"file": p.name, "what": catalogue.CATALOGUE[p.name][3], "identity": catalogue.label(p.name)[0],
                        "split": catalogue.label(p.name)[1], "face_box": list(p.face_box)} for p in pad_faces],
        "split_rule": "identity-disjoint: photos grouped into identities by shared people (kphotoalbum index.xml "
                      "People tags, the facedetect and scikit-image portraits' subjects) and shared file-name "
                      "stems; each identity fixed to train or test in Tools/corpus/photos.py SPLITS "
                      f"({', '.join(f'{k}: {v}' for k, v in catalogue.SPLITS.items())})",
        "claimed_device": os.path.relpath(sp.CLAIMED_DEVICE, sp.ROOT),
        "files": entries,
    }
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(e["bytes"] for e in entries)
    log(f"done: {len(entries)} captures, {total / 1e6:.1f} MB, {time.time() - started:.1f} s; "
        f"manifest {os.path.join(args.out_dir, 'manifest.json')}")


if __name__ == "__main__":
    main()
