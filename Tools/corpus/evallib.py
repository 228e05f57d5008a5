"""Runs `captureguard analyze` over a corpus and scores it in ISO/IEC 30107-3
terms. Used by Tools/evaluate and Tools/corpus/make-report.

Terms (ISO/IEC 30107-3:2023, clause 3 and 13):
  APCER  attack presentation classification error rate: the proportion of
         attack presentations of one species classified as bona fide;
  BPCER  bona fide presentation classification error rate: the proportion
         of bona fide presentations classified as attacks.
Classification here: forensics.verdict `fail` or `step_up` = attack, `pass`
= bona fide; `retry` is neither (the kiosk asks again) and is counted
apart, as are runs where analyze failed. Rates are over all presentations
of a species that carry the attack within the analysed window (a splice at
1.5 s is not in the first second: those files are reported as not
applicable at that window, not as errors).
"""
import concurrent.futures
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(ROOT, ".build", "release", "captureguard")
ATTACK_VERDICTS = ("fail", "step_up")
TARGET = 0.01     # APCER and BPCER both at most 1 %


class EvaluationError(Exception):
    pass


def has_command(binary, command):
    """True when `captureguard COMMAND --help` works (the command exists)."""
    if not os.path.exists(binary):
        return False
    result = subprocess.run([binary, command, "--help"], capture_output=True, text=True)
    return result.returncode == 0


def load_manifest(corpus):
    path = os.path.join(corpus, "manifest.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise EvaluationError(f"{path} not found (make the corpus with Tools/corpus/generate.py)")


def enroll(binary, capture, out):
    result = subprocess.run([binary, "enroll-sensor", capture, "--out", out], capture_output=True, text=True)
    if result.returncode != 0:
        raise EvaluationError(f"enroll-sensor {capture} exited {result.returncode}: {result.stderr.strip()[-400:]}")
    return out


def resolve_enrollment(binary, corpus, choice, workdir):
    """--sensor-enroll: auto (enroll CORPUS/sensors/A-enroll.cgcap), none, a
    .cgcap to enroll, or an existing enrollment file. Returns a path or None."""
    if choice == "none":
        return None
    if choice == "auto":
        capture = os.path.join(corpus, "sensors", "A-enroll.cgcap")
        if not os.path.exists(capture):
            raise EvaluationError(f"{capture} not found (generate without --no-sensors, or pass --sensor-enroll none)")
        return enroll(binary, capture, os.path.join(workdir, "A.prnu"))
    if not os.path.exists(choice):
        raise EvaluationError(f"--sensor-enroll {choice}: not found")
    if choice.endswith(".cgcap"):
        return enroll(binary, choice, os.path.join(workdir, "A.prnu"))
    return choice


def analyse(binary, path, seconds, prnu):
    """One `analyze --json` run -> a result row (no corpus fields)."""
    command = [binary, "analyze", path, "--json", "--seconds", f"{seconds:g}"]
    if prnu:
        command += ["--sensor", prnu]
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    row = {"seconds": seconds, "exit": result.returncode, "elapsed_s": round(time.time() - started, 3)}
    if result.returncode != 0:
        row["error"] = (result.stderr.strip() or f"exit {result.returncode}")[-300:]
        return row
    try:
        report = json.loads(result.stdout)
        forensics = report["forensics"]
        row["verdict"] = forensics["verdict"]
    except (ValueError, KeyError, TypeError) as error:
        row["error"] = f"unreadable analyze output: {error}"
        return row
    row["score"] = forensics.get("score")
    row["reasons"] = forensics.get("reasons") or []
    row["overall_verdict"] = report.get("verdict")
    row["frames_analysed"] = (report.get("source") or {}).get("frames")
    row["findings"] = [{"code": f.get("code"), "severity": f.get("severity"), "analyser": f.get("analyser")}
                       for f in report.get("findings") or []]
    row["analysers"] = {name: a.get("status") for name, a in (forensics.get("analysers") or {}).items()
                        if isinstance(a, dict)}
    faces = report.get("faces") or {}
    hints = (faces.get("pad") or {}).get("hints") or {}
    row["face_verdict"] = faces.get("verdict")
    row["pad_score"] = hints.get("score")
    row["pad_hints"] = {k: hints.get(k) for k in ("screen", "print", "mask_like")} if hints else None
    row["pad_model"] = (faces.get("pad") or {}).get("model")
    row["pad_codes"] = [f.get("code") for f in faces.get("findings") or []
                        if f.get("code") in ("screen_attack", "print_attack", "mask_like_texture")]
    return row


def run(binary, corpus, entries, seconds_list, prnu, jobs=2, progress=None):
    """Analyses every entry at every window; returns rows with the entry's
    path, species, genuine and attack_starts_s. At most 2 workers."""
    jobs = max(1, min(2, jobs))
    work = [(e, s) for e in entries for s in seconds_list]
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(analyse, binary, os.path.join(corpus, e["path"]), s, prnu): (e, s) for e, s in work}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            entry, seconds = futures[future]
            row = future.result()
            row.update({"path": entry["path"], "species": entry["species"], "genuine": bool(entry["genuine"]),
                        "attack_starts_s": entry.get("attack_starts_s"), "split": entry.get("split"),
                        "photo": entry.get("photo")})
            rows.append(row)
            if progress:
                progress(done, len(work), row)
    rows.sort(key=lambda r: (r["species"], r["path"], r["seconds"]))
    return rows


def evaluate_corpus(corpus, seconds_list, sensor_enroll="auto", binary=DEFAULT_BINARY, jobs=2,
                    species=None, progress=None):
    """Enrolls, analyses and returns (rows, enrollment info)."""
    for command in ("analyze", "enroll-sensor") if sensor_enroll != "none" else ("analyze",):
        if not has_command(binary, command):
            raise EvaluationError(f"{binary} has no '{command}' command (build it: swift build -c release)")
    manifest = load_manifest(corpus)
    entries = [e for e in manifest["files"] if e["species"] != "enroll"
               and (species is None or e["species"] in species)]
    missing = [e["path"] for e in entries if not os.path.exists(os.path.join(corpus, e["path"]))]
    if missing:
        raise EvaluationError(f"{len(missing)} capture(s) in the manifest are missing, e.g. {missing[0]}")
    with tempfile.TemporaryDirectory(prefix="cg-evaluate-") as tmp:
        started = time.time()
        prnu = resolve_enrollment(binary, corpus, sensor_enroll, tmp)
        enrolled = {"enrollment": sensor_enroll, "enroll_s": round(time.time() - started, 2)}
        rows = run(binary, corpus, entries, seconds_list, prnu, jobs, progress)
    return rows, enrolled


# --- scoring --------------------------------------------------------------------

def binomial_upper(errors, n, confidence=0.95):
    """One-sided Clopper-Pearson upper bound of a proportion (exact), by
    bisection on the binomial CDF; for 0 errors it is 1 - 0.05^(1/n), which
    the rule of three (3/n) approximates."""
    if n == 0:
        return None
    if errors >= n:
        return 1.0
    alpha = 1.0 - confidence

    def cdf(p):
        total, term = 0.0, (1.0 - p) ** n
        for k in range(errors + 1):
            if k:
                term *= (n - k + 1) / k * p / (1.0 - p)
            total += term
        return total
    lo, hi = errors / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def summarise(rows):
    """Per (species, seconds) counts and rates, the codes that fired, and the
    smallest window that meets the target."""
    table = {}
    for row in rows:
        key = (row["species"], row["seconds"])
        s = table.setdefault(key, {"species": row["species"], "seconds": row["seconds"], "genuine": row["genuine"],
                                   "n": 0, "pass": 0, "fail": 0, "step_up": 0, "retry": 0, "error": 0,
                                   "not_applicable": 0, "codes": {}, "elapsed_s": 0.0, "errors": []})
        starts = row.get("attack_starts_s")
        if not row["genuine"] and starts is not None and starts >= row["seconds"]:
            s["not_applicable"] += 1
            continue
        s["n"] += 1
        s["elapsed_s"] += row.get("elapsed_s") or 0.0
        if "error" in row:
            s["error"] += 1
            if len(s["errors"]) < 3:
                s["errors"].append(f"{row['path']}: {row['error']}")
            continue
        verdict = row["verdict"]
        s[verdict if verdict in ("pass", "fail", "step_up", "retry") else "error"] += 1
        for code in sorted({f["code"] for f in row.get("findings") or [] if f.get("code")}):
            s["codes"][code] = s["codes"].get(code, 0) + 1
    species_rows = []
    for s in table.values():
        n = s["n"]
        if s["genuine"]:
            s["measure"] = "BPCER"
            s["errors_n"] = s["fail"] + s["step_up"]
        else:
            s["measure"] = "APCER"
            s["errors_n"] = s["pass"]
        s["rate"] = s["errors_n"] / n if n else None
        s["upper95"] = binomial_upper(s["errors_n"], n)
        s["rule_of_three"] = min(1.0, 3.0 / n) if n and s["errors_n"] == 0 else None
        s["retry_rate"] = s["retry"] / n if n else None
        s["mean_analyze_s"] = s["elapsed_s"] / n if n else None
        s["meets"] = n > 0 and s["rate"] <= TARGET
        s["meets_with_retry"] = s["meets"] and s["retry_rate"] <= TARGET and s["error"] == 0
        species_rows.append(s)
    species_rows.sort(key=lambda s: (not s["genuine"], s["species"], s["seconds"]))
    windows = sorted({s["seconds"] for s in species_rows})

    def smallest(flag):
        for w in windows:
            at = [s for s in species_rows if s["seconds"] == w]
            if at and all(s[flag] or s["n"] == 0 for s in at) and any(s["n"] for s in at):
                return w
        return None
    return {"species": species_rows, "windows": windows, "target": TARGET,
            "decide_seconds": smallest("meets"), "decide_seconds_no_retry": smallest("meets_with_retry")}


PAD_SPECIES = ("genuine_face", "print_attack", "screen_attack")
PAD_TARGET = 0.05  # issue 7: APCER <= 5 % at BPCER <= 5 % for print and screen, held out


def summarise_pad(rows):
    """Face-PAD error rates per (species, split, seconds): an attack species
    is missed when the agent's PAD score is under the finding threshold
    (0.5) or absent (APCER); genuine_face is rejected when it is at or above
    it (BPCER). PAD decides alone here: quality findings do not count."""
    table = {}
    for row in rows:
        if row["species"] not in PAD_SPECIES:
            continue
        key = (row["species"], row.get("split") or "-", row["seconds"])
        s = table.setdefault(key, {"species": key[0], "split": key[1], "seconds": key[2], "n": 0, "errors_n": 0,
                                   "no_score": 0, "error": 0, "scores": [], "model": row.get("pad_model")})
        if "error" in row:
            s["error"] += 1
            continue
        s["n"] += 1
        score = row.get("pad_score")
        if score is None:
            s["no_score"] += 1
        else:
            s["scores"].append(score)
        attack = row["species"] != "genuine_face"
        s["errors_n"] += int((score is None or score < 0.5) if attack else (score is not None and score >= 0.5))
    out = []
    for s in table.values():
        n = s["n"]
        s["measure"] = "BPCER" if s["species"] == "genuine_face" else "APCER"
        s["rate"] = s["errors_n"] / n if n else None
        s["upper95"] = binomial_upper(s["errors_n"], n)
        s["median_score"] = sorted(s["scores"])[len(s["scores"]) // 2] if s["scores"] else None
        s["meets"] = n > 0 and s["rate"] <= PAD_TARGET
        del s["scores"]
        out.append(s)
    out.sort(key=lambda s: (s["split"] != "test", s["seconds"], s["species"] != "genuine_face", s["species"]))
    return out


def markdown_pad_table(pad_rows):
    lines = ["| split | window | species | measure | n | errors | rate | 95% upper | median PAD score | no score |",
             "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in pad_rows:
        median = "–" if s["median_score"] is None else f"{s['median_score']:.3f}"
        lines.append(f"| {s['split']} | {s['seconds']:g} s | {s['species']} | {s['measure']} | {s['n']} | {s['errors_n']} "
                     f"| {pct(s['rate'])} | {pct(s['upper95'])} | {median} | {s['no_score']} |")
    return "\n".join(lines)


# --- rendering ------------------------------------------------------------------

def pct(x):
    return "–" if x is None else f"{100 * x:.1f}%"


def text_table(summary):
    lines = []
    header = f"{'species':<18} {'S':>3} {'n':>4} {'measure':<6} {'errors':>6} {'rate':>7} {'95% up':>7} {'pass':>4} {'fail':>4} {'stepup':>6} {'retry':>5} {'err':>3} {'n/a':>3}  codes"
    lines.append(header)
    for s in summary["species"]:
        codes = ", ".join(f"{c}×{k}" for c, k in sorted(s["codes"].items(), key=lambda kv: (-kv[1], kv[0])))
        bound = pct(s["upper95"]) + ("*" if s["rule_of_three"] is not None else "")
        lines.append(f"{s['species']:<18} {s['seconds']:>3g} {s['n']:>4} {s['measure']:<6} {s['errors_n']:>6} "
                     f"{pct(s['rate']):>7} {bound:>7} {s['pass']:>4} {s['fail']:>4} {s['step_up']:>6} "
                     f"{s['retry']:>5} {s['error']:>3} {s['not_applicable']:>3}  {codes}")
    lines.append("95% up: one-sided Clopper-Pearson upper bound; * = no errors, rule of three 3/n shown in the JSON")
    lines.append(decision_line(summary))
    return "\n".join(lines)


def decision_line(summary):
    d, r = summary["decide_seconds"], summary["decide_seconds_no_retry"]
    target = pct(summary["target"])
    first = (f"the smallest window S at which every species meets APCER <= {target} and BPCER <= {target} is {d:g} s"
             if d is not None else f"no tested window S in {summary['windows']} meets APCER <= {target} and BPCER <= {target} for every species")
    second = (f"; counting retries and analyze errors as misses too: {r:g} s" if r is not None
              else "; counting retries and analyze errors as misses too: no tested window")
    line = "seconds of capture needed to decide: " + first + second
    if d is not None:
        absent = sorted({s["species"] for s in summary["species"] if s["seconds"] == d and s["n"] == 0})
        if absent:
            line += f" (at S = {d:g} s not applicable, the attack starting later: {', '.join(absent)})"
    return line


def misclassified(rows):
    """Rows that count as errors (attack passed, genuine called attack),
    retries and analyze errors, in a stable order."""
    out = []
    for row in sorted(rows, key=lambda r: (r["species"], r["path"], r["seconds"])):
        starts = row.get("attack_starts_s")
        if not row["genuine"] and starts is not None and starts >= row["seconds"]:
            continue
        verdict = row.get("verdict", "error")
        if "error" in row or verdict == "retry" or \
                (row["genuine"] and verdict in ATTACK_VERDICTS) or (not row["genuine"] and verdict == "pass"):
            out.append(row)
    return out


def markdown_misclassified(rows, limit=40):
    wrong = misclassified(rows)
    if not wrong:
        return "No presentation was misclassified, retried or failed to analyse."
    out = ["| species | capture | S (s) | forensics verdict | codes |", "| --- | --- | --: | --- | --- |"]
    for row in wrong[:limit]:
        codes = ", ".join(sorted({f["code"] for f in row.get("findings") or [] if f.get("code")})) or "–"
        verdict = row.get("verdict") or f"analyze error: {row.get('error', '')[:80]}"
        out.append(f"| {row['species']} | `{row['path']}` | {row['seconds']:g} | {verdict} | {codes} |")
    if len(wrong) > limit:
        out.append(f"| … | {len(wrong) - limit} more | | | |")
    return "\n".join(out)


def markdown_tables(summary):
    out = []
    out.append("| species | S (s) | n | measure | errors | rate | 95% upper | pass | fail | step_up | retry | analyze errors | n/a |")
    out.append("| --- | --: | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
    for s in summary["species"]:
        bound = pct(s["upper95"]) + (f" (3/n = {pct(s['rule_of_three'])})" if s["rule_of_three"] is not None else "")
        out.append(f"| {s['species']} | {s['seconds']:g} | {s['n']} | {s['measure']} | {s['errors_n']} | {pct(s['rate'])} | "
                   f"{bound} | {s['pass']} | {s['fail']} | {s['step_up']} | {s['retry']} | {s['error']} | {s['not_applicable']} |")
    out.append("")
    out.append("Finding codes that fired (number of captures), per species and window:")
    out.append("")
    out.append("| species | S (s) | codes |")
    out.append("| --- | --: | --- |")
    for s in summary["species"]:
        codes = ", ".join(f"`{c}` {k}" for c, k in sorted(s["codes"].items(), key=lambda kv: (-kv[1], kv[0]))) or "–"
        out.append(f"| {s['species']} | {s['seconds']:g} | {codes} |")
    errors = [e for s in summary["species"] for e in s["errors"]]
    if errors:
        out.append("")
        out.append("analyze errors (first few):")
        out.append("")
        out.extend(f"- `{e}`" for e in errors[:10])
    out.append("")
    out.append(decision_line(summary) + ".")
    return "\n".join(out)
