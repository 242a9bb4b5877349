#!/usr/bin/env python3
"""Searches the bank of face proportions and the cast of people they are drawn with (issue 20),
run by hand.

The simulator draws every person's proportions from `fixtures/faces/bank.tsv`
(simulator/src/synth/face/bank.rs) and runs no face model itself. This script makes that
file: it draws CANDIDATES points of the proportions' unit cube, each in VIEWS snapshots with
other people's colours, hair, accessories, sex and shots (`face-sheet` with
`FACE_SHEET_CANDIDATES`), keeps those that dlib's HOG detector and OpenCV's Haar cascade
both find as one face in every view, and of those keeps the KEEP that dlib's ResNet
descriptor puts apart from the rest most often (dropping, one at a time, the candidate
with the most others left under dlib's 0.6, over every pair of their views). It prints
what each step left, then checks the kept candidates' detection in HELD more views nobody
chose them by, and writes the bank.

  target/face-realism-venv/bin/python scripts/face-bank.py [CANDIDATES] [VIEWS] [KEEP] [HELD]

Defaults: 6000 candidates, 5 views, 512 kept, 2 held-out views (about an hour on two
cores): the run that made the shipped bank (the held-out views only check it). Run it
with the face-realism virtualenv (scripts/face-realism.sh installs it).
Deterministic for the same arguments and drawing. `FACE_BANK_OUT` writes elsewhere than
`fixtures/faces/bank.tsv`. `FACE_BANK_CACHE=FILE.npz` keeps what the detectors and the
descriptor made of every candidate's views and reads it back on the next run with the same
views, so that the choice can be tried again in seconds; a run judges only the candidates
the file does not hold, saving it after every thousand. `FACE_BANK_AIM`
says which candidate to drop first: `pairs` (the default) the one with the most others
left under 0.6, `mean` (the bank before) the one with the least mean distance to the
others left.

  face-bank.py --cast [PER_REGION] [VIEWS] [KEEP] [HELD]

chooses the cast instead (`fixtures/faces/cast.tsv`, simulator/src/synth/face/cast.rs):
whole people, every random look of the simulator becoming one of them. Its candidates are
people as the simulator drew them before there was a cast (`face-sheet` with
`FACE_SHEET_CAST`: a look from a region's palettes, proportions from the bank), the first
PER_REGION of East Asia and of anywhere, each in VIEWS shots; it keeps those both
detectors find in every view and drops, one at a time, the one with the most others left
under 0.6 over every pair of their views, in each region until KEEP are left, then
reports detection and pairs in HELD more shots. Defaults: 10000 per region, 3 views, 512
kept of each, 1 held-out view (about an hour and a half on two cores, and two arrays of
2.7 GB for the pairs of views of 18,000 survivors): the run that made the shipped cast.
The cast rests on the bank: a new bank needs a new cast.

`FACE_BANK_FACE_API=1` makes face-api (@vladmandic/face-api, through
scripts/face-api-describe.js, installed by scripts/face-realism.sh in
target/face-realism-node or `FACE_REALISM_NODE`) a second judge of the cast's candidates:
its SSD MobileNet must find one face in every view as well, and a pair of candidates is
near by the mean of dlib's and face-api's shares of their pairs of views under 0.6
(`FACE_BANK_CHOOSE=both`, the default then; `FACE_BANK_CHOOSE=dlib` chooses by dlib alone
among the same survivors, to compare). It prints both recognisers' shares, in the search
and in the held-out views. face-api takes about half a second a snapshot, three times dlib.
"""
import json, multiprocessing, os, subprocess, sys, tempfile

import cv2, dlib, numpy as np, face_recognition_models as models

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sheet = os.path.join(root, "target", "release", "examples", "face-sheet")
describe = os.path.join(root, "scripts", "face-api-describe.js")


def start():
    """Loads the models once per worker process."""
    global hog, shape, resnet, haar
    hog = dlib.get_frontal_face_detector()
    shape = dlib.shape_predictor(models.pose_predictor_model_location())
    resnet = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def judge(job):
    """Draws views `first..last` of every id, as `face-sheet`'s `mode` draws them; yields
    (id, every detector found one face, dlib's descriptor or None, face-api's descriptor
    or None). face-api (`FACE_BANK_FACE_API`) judges too when `node_dir` is given: then
    its SSD MobileNet must find one face as well."""
    ids, first, last, mode, node_dir = job
    env = dict(os.environ, **{mode: "1"})
    rows = []
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sheet, out, str(last)] + [str(i) for i in ids], check=True, env=env)
        files = [(i, f"{out}/{i}-{v}.jpg") for i in ids for v in range(first, last)]
        for i, file in files:
            bgr = cv2.imread(file)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            boxes = hog(rgb, 1)
            faces = haar.detectMultiScale(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
                                          scaleFactor=1.1, minNeighbors=5)
            found = len(boxes) == 1 and len(faces) == 1
            d = (np.array(resnet.compute_face_descriptor(rgb, shape(rgb, boxes[0])))
                 if found else None)
            rows.append((i, found, d, None))
        if node_dir:
            # face-api, three times dlib's time a snapshot, sees only what both found.
            second = face_api(out, [f for (_, f), row in zip(files, rows) if row[1]], node_dir)
            rows = [(i, f in second, d if f in second else None, second.get(f))
                    for (_, f), (i, _, d, _) in zip(files, rows)]
    return rows


def face_api(out, files, node_dir):
    """face-api's descriptor of every file in which its detector found exactly one face,
    by file (scripts/face-api-describe.js, one node process for the whole list)."""
    manifest = os.path.join(out, "manifest.json")
    with open(manifest, "w") as f:
        json.dump([{"file": file} for file in files], f)
    lines = subprocess.run(["node", describe, node_dir, manifest], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    shots = [json.loads(line) for line in lines]
    return {s["file"]: np.array(s["descriptor"]) for s in shots if s["faces"] == 1}


def run(pool, ids, first, last, mode, node_dir=None):
    jobs = [(ids[k:k + 20], first, last, mode, node_dir) for k in range(0, len(ids), 20)]
    rows, done = [], 0
    for part in pool.imap(judge, jobs):
        rows += part
        done += len(part)
        print(f"\r  {done} of {len(ids) * (last - first)} snapshots", end="", file=sys.stderr)
    print(file=sys.stderr)
    return rows


def judged(pool, ids, views, cache, mode, node_dir=None):
    """The rows of `run` for views 0..views of `ids`, kept in (and read back from) the
    numpy file `cache` when given, so that the choice among candidates can be tried again
    without drawing and judging them again. Candidates the cache holds (with as many views,
    judged by the same recognisers) are read from it, the others judged and added to it."""
    known = {}
    second = node_dir is not None
    if cache and os.path.exists(cache):
        saved = np.load(cache)
        if saved["views"] == views and bool(saved.get("second", False)) == second:
            descs2 = saved["descs2"] if second else [None] * len(saved["found"])
            for i, ok, d, d2 in zip(saved["row_ids"], saved["found"], saved["descs"], descs2):
                known.setdefault(int(i), []).append(
                    (int(i), bool(ok), d if ok else None, d2 if ok and second else None))
            print(f"{len(known)} judged candidates read from {cache}", file=sys.stderr)
    todo = [i for i in ids if i not in known]
    # Judged in parts, each saved as it ends, so that an interrupted run keeps its work.
    for k in range(0, len(todo), 1000):
        for row in run(pool, todo[k:k + 1000], 0, views, mode, node_dir):
            known.setdefault(row[0], []).append(row)
        if cache:
            rows = [row for part in known.values() for row in part]
            blank = np.zeros(128)
            np.savez(cache, ids=np.array(list(known), dtype=np.uint64), views=views,
                     second=second,
                     row_ids=np.array([row[0] for row in rows], dtype=np.uint64),
                     found=np.array([row[1] for row in rows]),
                     descs=np.array([blank if row[2] is None else row[2] for row in rows]),
                     descs2=np.array([blank if row[3] is None else row[3] for row in rows]))
    return [row for i in ids for row in known[i]]


def distances(x, y):
    """Euclidean distances between the rows of `x` and of `y`, without the (x, y, 128)
    array of differences, which for 5,000 candidates would take 25 GiB."""
    sq = (x * x).sum(1)[:, None] + (y * y).sum(1)[None] - 2 * x @ y.T
    return np.sqrt(np.maximum(sq, 0))


def apart(means, kept):
    """Mean distance and share at or above 0.6 between the kept candidates' mean descriptors."""
    m = means[kept]
    d = distances(m, m)[np.triu_indices(len(kept), 1)]
    return f"mean {d.mean():.3f}, at or above 0.6 in {100 * np.mean(d >= 0.6):.1f}%"


def spread(count, first=1):
    """Candidate ids spread over the u64 range by a fixed multiplier, as face-people.py's."""
    return [(i * 0x9E3779B97F4A7C15 + 0x1234567) % (1 << 64) for i in range(first, first + count)]


def east_asian(i):
    """Whether `face-sheet` draws candidate `i` of the cast from East Asia's palettes (ids
    divisible by three) rather than anywhere's."""
    return i % 3 == 0


def cast_ids(per_region):
    """The cast's candidates: the spread ids in order from the 100,001st (apart from the
    bank's), up to `per_region` of each region (`east_asian`)."""
    ids, counts, i = [], [0, 0], 100_001
    while min(counts) < per_region:
        x = spread(1, i)[0]
        if counts[east_asian(x)] < per_region:
            counts[east_asian(x)] += 1
            ids.append(x)
        i += 1
    return ids


def near_views(views_of):
    """For every two candidates, the share of their pairs of views (every view of one
    against every view of the other) under dlib's 0.6: the pairs the goal counts against."""
    n, views = views_of.shape[:2]
    near = np.zeros((n, n))
    # In blocks of rows, so that the distances never take more than a block's memory:
    # 24,000 candidates would otherwise need several (n, n) arrays of 4.6 GB at once.
    for r in range(0, n, 2048):
        for a in range(views):
            for b in range(views):
                near[r:r + 2048] += distances(views_of[r:r + 2048, a], views_of[:, b]) < 0.6
    near /= views * views
    np.fill_diagonal(near, 0)
    return near


def drop_nearest(near, groups, keep):
    """Drops, one at a time, the candidate with the most others left near it (by `near`),
    among the groups that still hold more than `keep`; the kept candidates' indices."""
    left = np.ones(len(near), bool)
    close = near.sum(axis=1)
    # Columns as rows, read whole at every step (a column of a large array is slow to read).
    columns = np.ascontiguousarray(near.T)
    names, group = np.unique(groups, return_inverse=True)
    sizes = np.bincount(group, minlength=len(names))
    while np.any(sizes > keep):
        j = int(np.argmax(np.where(left & (sizes > keep)[group], close, -np.inf)))
        left[j] = False
        close -= columns[j]
        sizes[group[j]] -= 1
    return np.flatnonzero(left)


def views_apart(near, kept):
    """The share of pairs of views of two of `kept` at or above 0.6, summed in blocks of
    rows, as the pairs of 20,000 survivors would take gigabytes."""
    total = 0.0
    for r in range(0, len(kept), 2048):
        total += np.triu(near[np.ix_(kept[r:r + 2048], kept)], r + 1).sum()
    pairs = len(kept) * (len(kept) - 1) / 2
    return f"views of two at or above 0.6 in {100 * (1 - total / pairs):.1f}%"


def build():
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "facesim-benches",
                    "--example", "face-sheet"], cwd=root, check=True)


def survivors_of(rows, ids, views):
    """The ids every detector found in every view, with their dlib descriptors (id, view,
    128) and face-api's (the same, or None when face-api did not judge)."""
    found, descs, descs2 = {}, {}, {}
    for i, ok, d, d2 in rows:
        found[i] = found.get(i, True) and ok
        if d is not None:
            descs.setdefault(i, []).append(d)
        if d2 is not None:
            descs2.setdefault(i, []).append(d2)
    survivors = [i for i in ids if found[i]]
    print(f"{len(survivors)} of {len(ids)} candidates found by every detector in all "
          f"{views} views ({100 * np.mean([row[1] for row in rows]):.1f}% of snapshots)")
    second = np.array([descs2[i] for i in survivors]) if descs2 else None
    return survivors, np.array([descs[i] for i in survivors]), second


def second_recogniser():
    """face-api's npm folder when `FACE_BANK_FACE_API` asks for it as a second judge, else
    None; exits with a readable line when it is asked for but not installed."""
    if os.environ.get("FACE_BANK_FACE_API", "0") == "0":
        return None
    node_dir = os.environ.get("FACE_REALISM_NODE",
                              os.path.join(root, "target", "face-realism-node"))
    if not os.path.isdir(os.path.join(node_dir, "node_modules", "@vladmandic", "face-api")):
        sys.exit(f"face-api is not installed in {node_dir}: run scripts/face-realism.sh once")
    return node_dir


def held_out_pairs(label, rows, at):
    """The share of pairs of two people's held-out views at or above 0.6, by the
    descriptor at `at` in each row."""
    seen = [(row[0], row[at]) for row in rows if row[at] is not None]
    d = np.array([d for _, d in seen])
    who = np.array([i for i, _ in seen], dtype=np.uint64)
    # Pairs of two people only: with more than one held-out view, a person's own views
    # would pair too.
    pairs = distances(d, d)[np.triu(who[:, None] != who[None], 1)]
    return f"{label} {100 * np.mean(pairs >= 0.6):.1f}%"


def cast_main(argv):
    """`--cast`: chooses the cast (`fixtures/faces/cast.tsv`) among whole people."""
    args = [int(a) for a in argv[:4]]
    per_region, views, keep, held = args + [10000, 3, 512, 1][len(args):]
    node_dir = second_recogniser()
    choose = os.environ.get("FACE_BANK_CHOOSE", "both" if node_dir else "dlib")
    if choose not in ("dlib", "both") or (choose == "both" and not node_dir):
        sys.exit(f"FACE_BANK_CHOOSE must be dlib, or both with FACE_BANK_FACE_API=1, "
                 f"not {choose!r}")
    build()
    ids = cast_ids(per_region)
    mode = "FACE_SHEET_CAST"
    with multiprocessing.Pool(os.cpu_count(), start) as pool:
        rows = judged(pool, ids, views, os.environ.get("FACE_BANK_CACHE"), mode, node_dir)
        survivors, views_of, views_of2 = survivors_of(rows, ids, views)
        regions = np.array([east_asian(i) for i in survivors])
        for r, name in ((True, "East Asia"), (False, "anywhere")):
            if np.sum(regions == r) < keep:
                sys.exit(f"only {np.sum(regions == r)} of {name}'s candidates survived, "
                         f"fewer than {keep} to keep")
        nears = [("dlib", near_views(views_of))]
        if views_of2 is not None:
            nears.append(("face-api", near_views(views_of2)))
        # Chosen by both: a pair counts as near by the mean of the two recognisers' shares
        # of its pairs of views under 0.6, so that neither model's confusions are ignored.
        near = nears[0][1] if choose == "dlib" else sum(n for _, n in nears) / len(nears)
        kept = drop_nearest(near, regions, keep)
        every = np.arange(len(survivors))
        for name, n in nears:
            print(f"{name}: survivors: {views_apart(n, every)}; kept {keep} of each region "
                  f"(chosen by {choose}): {views_apart(n, kept)}")
        chosen = [survivors[j] for j in kept]
        if held:
            rows = run(pool, chosen, views, views + held, mode, node_dir)
            found = [row[1] for row in rows]
            shares = [held_out_pairs("dlib", rows, 2)]
            if node_dir:
                shares.append(held_out_pairs("face-api", rows, 3))
            print(f"kept people in {held} held-out views: found by every detector in "
                  f"{100 * np.mean(found):.1f}% of {len(rows)}; two found at or above 0.6 in "
                  f"pairs: {', '.join(shares)}")
    out = os.environ.get("FACE_BANK_OUT", os.path.join(root, "fixtures", "faces", "cast.tsv"))
    with open(out, "w") as f:
        f.write("seed\tregion\n")
        for i in sorted(chosen, key=lambda i: (not east_asian(i), i)):
            f.write(f"{i}\t{'EastAsia' if east_asian(i) else 'Anywhere'}\n")
    print(f"wrote {len(chosen)} people to {out}")


def main():
    if sys.argv[1:2] == ["--cast"]:
        return cast_main(sys.argv[2:])
    args = [int(a) for a in sys.argv[1:5]]
    count, views, keep, held = args + [6000, 5, 512, 2][len(args):]
    build()
    ids = spread(count)
    cache = os.environ.get("FACE_BANK_CACHE")
    mode = "FACE_SHEET_CANDIDATES"
    with multiprocessing.Pool(os.cpu_count(), start) as pool:
        rows = judged(pool, ids, views, cache, mode)
        survivors, views_of, _ = survivors_of(rows, ids, views)
        if len(survivors) < keep:
            sys.exit(f"only {len(survivors)} candidates survived, fewer than {keep} to keep")
        means = views_of.mean(axis=1)
        aim = os.environ.get("FACE_BANK_AIM", "pairs")
        if aim not in ("pairs", "mean"):
            sys.exit(f"FACE_BANK_AIM must be pairs or mean, not {aim!r}")
        # Near: over every pair of two candidates' views, looks alike or not. Mean
        # descriptors are too close for that: averaged over looks, only about one pair in
        # a hundred reaches 0.6.
        near = near_views(views_of)
        one = np.zeros(len(survivors), int)
        if aim == "pairs":
            kept = drop_nearest(near, one, keep)
        else:
            dist = distances(means, means)
            left = np.ones(len(survivors), bool)
            total = dist.sum(axis=1)
            for _ in range(len(survivors) - keep):
                j = int(np.argmin(np.where(left, total, np.inf)))
                left[j] = False
                total -= dist[:, j]
            kept = np.flatnonzero(left)
        every = np.arange(len(survivors))
        print(f"survivors: {apart(means, every)}, {views_apart(near, every)}; "
              f"kept {keep}: {apart(means, kept)}, {views_apart(near, kept)}")
        chosen = sorted(survivors[j] for j in kept)
        if held:
            rows = run(pool, chosen, views, views + held, mode)
            print(f"kept candidates found by both detectors in {held} held-out views: "
                  f"{100 * np.mean([row[1] for row in rows]):.1f}% of {len(rows)}")
    out = os.environ.get("FACE_BANK_OUT", os.path.join(root, "fixtures", "faces", "bank.tsv"))
    with open(out, "w") as f:
        subprocess.run([sheet, "-", "0"] + [str(i) for i in chosen], check=True, stdout=f,
                       env=dict(os.environ, FACE_SHEET_UNITS="1"))
    print(f"wrote {len(chosen)} entries to {out}")


if __name__ == "__main__":
    main()
