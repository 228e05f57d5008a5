#!/usr/bin/env python3
"""One capture of every corpus species (320x240, 2 s at 30 fps, fixed seed)
through `captureguard enroll-sensor` (sensor A) and `captureguard analyze
--json --sensor A.prnu`: genuine captures must not be classified as attacks
(forensics.verdict fail or step_up), every attack species must be. Prints
the verdict and the finding codes per species.

Skips (clearly, not silently passing) when the captureguard build has no
`analyze` / `enroll-sensor` command yet. Uses the faces from
Tools/corpus/fetch-real; offline, it falls back to a synthetic portrait and
says so. Last line: "corpus-species: N passed, N failed[, N skipped]"."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from corpus_support import CORPUS, Skip, binary, check, has_command, run_tests

import species as sp

SIZE, SECONDS, SEED = "640x480", 2, 6
ATTACK = ("fail", "step_up")
state = {}


def setup():
    if "error" in state:
        raise Skip(state["error"])
    if "dir" in state:
        return
    if not (has_command("analyze") and has_command("enroll-sensor")):
        state["error"] = (f"{binary() or 'captureguard'} has no 'analyze' / 'enroll-sensor' command yet "
                          "(frame forensics not built): species subset not run")
        raise Skip(state["error"])
    tmp = tempfile.mkdtemp(prefix="cg-species-")
    state["dir"] = tmp
    env = dict(os.environ)
    fetched = subprocess.run([os.path.join(CORPUS, "fetch-real")], capture_output=True, text=True)
    if fetched.returncode != 0:
        print(f"note: fetch-real failed ({fetched.stderr.strip()}); using a synthetic portrait instead of real faces")
        env["CAPTUREGUARD_DATA"] = synthetic_cache(tmp)
    corpus = os.path.join(tmp, "corpus")
    result = subprocess.run([sys.executable, os.path.join(CORPUS, "generate.py"), corpus, "--size", SIZE,
                             "--seconds", str(SECONDS), "--count", "1", "--seed", str(SEED), "--jobs", "2"],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        state["error"] = f"generate.py exited {result.returncode}: {result.stderr[-400:]}"
        raise AssertionError(state["error"])
    state["corpus"] = corpus
    state["manifest"] = json.load(open(os.path.join(corpus, "manifest.json")))


def synthetic_cache(tmp):
    cache = os.path.join(tmp, "cache")
    real = os.path.join(cache, "real")
    os.makedirs(os.path.join(real, "kphotoalbum-demo"))
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:240, 0:200]
    img = np.full((240, 200, 3), 50.0)
    face = ((xx - 100) / 70.0) ** 2 + ((yy - 110) / 95.0) ** 2 < 1
    img[face] = [205, 160, 135]
    img += rng.normal(0, 10, (240, 200, 1))
    ppm = os.path.join(tmp, "face.ppm")
    with open(ppm, "wb") as f:
        f.write(b"P6\n200 240\n255\n" + np.clip(img, 0, 255).astype(np.uint8).tobytes())
    for name in ("grace_hopper_512x512.jpg", "kphotoalbum-demo/jesper.jpg", "kphotoalbum-demo/jesper_2.jpg",
                 "kphotoalbum-demo/new_wave_2.jpg"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", ppm, "-c:v", "mjpeg", "-f", "image2",
                        os.path.join(real, name)], check=True)
    return cache


def enrolled():
    setup()
    if "prnu" not in state:
        out = os.path.join(state["dir"], "A.prnu")
        result = subprocess.run([binary(), "enroll-sensor", os.path.join(state["corpus"], "sensors", "A-enroll.cgcap"),
                                 "--out", out], capture_output=True, text=True)
        check(result.returncode == 0, f"enroll-sensor exited {result.returncode}: {result.stderr.strip()}")
        check(os.path.exists(out), "enroll-sensor wrote no file")
        state["prnu"] = out
    return state["prnu"]


def analyse(name):
    prnu = enrolled()
    entry = next(e for e in state["manifest"]["files"] if e["species"] == name)
    result = subprocess.run([binary(), "analyze", os.path.join(state["corpus"], entry["path"]), "--json",
                             "--sensor", prnu, "--seconds", str(SECONDS)], capture_output=True, text=True)
    check(result.returncode == 0, f"analyze exited {result.returncode}: {result.stderr.strip()}")
    report = json.loads(result.stdout)
    check(report.get("schema") == "captureguard.analysis/1", f"schema {report.get('schema')}")
    verdict = report["forensics"]["verdict"]
    codes = sorted({f["code"] for f in report.get("findings") or []})
    print(f"     {name}: forensics {verdict}, score {report['forensics'].get('score')}, codes {', '.join(codes) or '-'}")
    return entry, verdict, codes


def make_test(name):
    def test():
        entry, verdict, codes = analyse(name)
        if entry["genuine"]:
            check(verdict not in ATTACK, f"genuine {name} classified as attack ({verdict}): {codes}")
        else:
            check(verdict in ATTACK, f"attack {name} not classified as attack ({verdict}): {codes}")
    return test


def test_enroll_sensor_a():
    enrolled()


if __name__ == "__main__":
    tests = [("test_enroll_sensor_a", test_enroll_sensor_a)]
    tests += [(f"test_{name}", make_test(name)) for name in sp.SPECIES]
    try:
        run_tests(tests, "corpus-species", skip_counts_as="skipped")
    finally:
        if "dir" in state:
            shutil.rmtree(state["dir"], ignore_errors=True)
