#!/usr/bin/env python3
"""Face PAD through `captureguard analyze`, on recaptures the corpus generator
simulates (Tools/corpus/generate.py --species pad; fixed seed, so the same
bytes every run):
  * every capture's analysis carries PAD features (17 scalars, a 354-bin
    colour-texture LBP histogram) and hints from the checked-in model;
  * the agent's hints equal the model's arithmetic redone in Python from
    Tools/corpus/pad-model.json and the printed features (an independent
    implementation of the logistic and χ² scoring);
  * what the model reads, it flags: a print lifts the darkest content
    around the face (surround_dark) by some 30 codes over a live scene, and
    every print in the sample gets a PAD score of at least 0.5 with its
    surround_dark above every genuine capture's, while no genuine capture
    gets a PAD finding; a display's white is bluer than the room light's,
    and every screen gets a PAD score of at least 0.5 with its
    surround_white_cb above every genuine capture's.
How well the model separates unseen people is Captures/REPORT.md's job
(Tools/evaluate), not this test's.
Usage: Tests/faces/test_pad.py [--binary PATH]
Last line: "faces-pad: N passed, N failed"."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus"))
from corpus_support import CORPUS, binary, check, real_cache, run_tests  # noqa: E402

MODEL = os.path.join(CORPUS, "pad-model.json")
SPECIES = ("genuine_face", "print_attack", "screen_attack")
state = {}


def generate():
    real_cache()
    out = os.path.join(state["dir"], "corpus")
    done = subprocess.run([sys.executable, os.path.join(CORPUS, "generate.py"), out, "--species", ",".join(SPECIES), "--count", "3",
                           "--size", "1280x720", "--seconds", "1", "--no-sensors", "--seed", "7"], capture_output=True, text=True)
    check(done.returncode == 0, f"generate.py failed: {done.stderr.strip()[-300:]}")
    with open(os.path.join(out, "manifest.json")) as f:
        state["entries"] = [dict(e, file=os.path.join(out, e["path"])) for e in json.load(f)["files"]]
    check(len(state["entries"]) == 9, f"{len(state['entries'])} captures, not 9")


def analyse():
    state["reports"] = {}
    for entry in state["entries"]:
        done = subprocess.run([state["binary"], "analyze", entry["file"], "--json", "--seconds", "1"], capture_output=True, text=True)
        check(done.returncode == 0, f"analyze {entry['path']} exited {done.returncode}: {done.stderr.strip()[-200:]}")
        state["reports"][entry["path"]] = json.loads(done.stdout)


def pads():
    out = []
    for entry in state["entries"]:
        pad = (state["reports"][entry["path"]].get("faces") or {}).get("pad")
        out.append((entry, pad))
    return out


def test_features_and_hints_are_there():
    with open(MODEL) as f:
        model = json.load(f)
    for entry, pad in pads():
        check(pad is not None, f"{entry['path']}: no PAD in the analysis")
        features = pad["features"]
        check(len(features["scalars"]) == 17 and len(features["colour_lbp"]) == 354, f"{entry['path']}: feature sizes")
        check(pad["model"] == model["version"] and pad["hints"] is not None, f"{entry['path']}: model {pad['model']}, hints {pad['hints']}")


def python_hints(model, features):
    z = [(features["scalars"][name] - m) / s for name, m, s in zip(model["features"], model["mean"], model["scale"])]
    def logistic(part):
        return 1 / (1 + math.exp(-(part["bias"] + sum(w * v for w, v in zip(part["weights"], z)))))
    distance = sum((o - l) ** 2 / (o + l) for o, l in zip(features["colour_lbp"], model["live_skin_lbp"]) if o + l > 0)
    # No face large enough for texture: the mask-like hint is not given.
    mask = 1 / (1 + math.exp(-(distance - model["mask_distance"]) / model["mask_spread"])) if features["texture_frames"] > 0 else None
    screen, printed = logistic(model["screen"]), logistic(model["print"])
    return {"screen": screen, "print": printed, "mask_like": mask, "score": max(screen, printed, mask or 0)}


def test_agent_hints_equal_the_python_arithmetic():
    with open(MODEL) as f:
        model = json.load(f)
    for entry, pad in pads():
        expected = python_hints(model, pad["features"])
        for key, value in expected.items():
            agent = pad["hints"][key]
            same = agent is None and value is None or agent is not None and value is not None and abs(agent - value) < 1e-9
            check(same, f"{entry['path']}: {key} agent {agent} python {value}")


def test_prints_are_flagged_and_genuine_are_not():
    genuine_dark = []
    for entry, pad in pads():
        scalars, score = pad["features"]["scalars"], pad["hints"]["score"]
        print(f"     {entry['path']}: surround_dark {scalars['surround_dark']:g}, "
              f"peaks {scalars['face_peaks'] + scalars['background_peaks']:g}, PAD score {score:.3f}", flush=True)
        if entry["species"] == "genuine_face":
            genuine_dark.append(scalars["surround_dark"])
            codes = [f["code"] for f in state["reports"][entry["path"]]["faces"]["findings"]]
            check(not {"screen_attack", "print_attack", "mask_like_texture"} & set(codes), f"{entry['path']}: PAD findings {codes}")
    check(genuine_dark, "no genuine capture in the sample")
    prints = [(entry, pad) for entry, pad in pads() if entry["species"] == "print_attack"]
    check(prints, "no print in the sample: the checks below would test nothing")
    for entry, pad in prints:
        dark, score = pad["features"]["scalars"]["surround_dark"], pad["hints"]["score"]
        check(dark > max(genuine_dark), f"{entry['path']}: surround_dark {dark:g} not above the genuine {max(genuine_dark):g}")
        check(score >= 0.5, f"{entry['path']}: a print with surround_dark {dark:g} but PAD score {score:.3f}")


def test_screens_show_a_display_white():
    genuine_white = [pad["features"]["scalars"]["surround_white_cb"] for entry, pad in pads() if entry["species"] == "genuine_face"]
    screens = [(entry, pad) for entry, pad in pads() if entry["species"] == "screen_attack"]
    check(genuine_white and screens, "no genuine capture or no screen in the sample: the checks below would test nothing")
    for entry, pad in screens:
        white, score = pad["features"]["scalars"]["surround_white_cb"], pad["hints"]["score"]
        print(f"     {entry['path']}: surround_white_cb {white:.2f} (genuine at most {max(genuine_white):.2f}), "
              f"PAD score {score:.3f}", flush=True)
        check(white > max(genuine_white), f"{entry['path']}: surround_white_cb {white:.2f} not above the genuine {max(genuine_white):.2f}")
        check(score >= 0.5, f"{entry['path']}: a screen with surround_white_cb {white:.2f} but PAD score {score:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    args = ap.parse_args()
    state["binary"] = os.path.abspath(args.binary) if args.binary else binary()
    with tempfile.TemporaryDirectory(prefix="cg-face-pad-") as work:
        state["dir"] = work
        run_tests([
            ("generate 3 captures of each PAD species (seed 7)", generate),
            ("analyze every capture", analyse),
            ("every analysis carries PAD features and the model's hints", test_features_and_hints_are_there),
            ("the agent's hints equal the model redone in Python", test_agent_hints_equal_the_python_arithmetic),
            ("prints score >= 0.5 on their lifted black; no genuine PAD finding", test_prints_are_flagged_and_genuine_are_not),
            ("screens score >= 0.5 on their blue white", test_screens_show_a_display_white),
        ], "faces-pad")


if __name__ == "__main__":
    main()
