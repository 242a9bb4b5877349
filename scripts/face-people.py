#!/usr/bin/env python3
"""A quick look at how dlib and OpenCV take facesim's people (issue 20), run by hand.

`scripts/face-realism.sh` measures the real thing (a seeded population pushed through
`facesim push`); it takes minutes. This draws people directly with the `face-sheet` example
(`FACE_SHEET_PERSON`: one person per id, only the shot changes between views), so that a
change to the drawing can be judged in under a minute:

  face-people.py [PEOPLE] [VIEWS]
      how often dlib's HOG detector and OpenCV's Haar cascade find one face, and how far
      dlib's ResNet descriptor puts two views of one person and two different people
      (mean, and the share at or above 0.6). Defaults: 200 people, 2 views.
      `FACE_SHEET_SET` (for example `beard=1`) applies to every person.
  face-people.py --compare SETTING SETTING...
      how far apart dlib puts the same six people drawn with each `FACE_SHEET_SET` setting
      (for example `beard=0` `beard=1`): what one change moves the model by.
  face-people.py --detect [PEOPLE] [VIEWS] [WHO]
      how often HOG and Haar find one face, overall and by quarters of skin and of hair
      luma, among the people WHO names: `all` (the default), `beardable` (men with short
      hair or bald, the only ones a population gives a beard) or a hair style (`Long`,
      `Short`, `Bald`, `Bun`, `Curly`). Defaults: 600 people, 2 views. With
      `FACE_SHEET_SET=beard=1` every one of them has a beard; `FACE_PEOPLE_FIRST` (default 1)
      picks other people, for a check on faces nobody tuned for. For example, bearded men:
      FACE_SHEET_SET=beard=1 face-people.py --detect 600 2 beardable

Other `face-sheet` knobs (`FACE_SHEET_DESCRIBE`, ...) pass through the environment. Run it with
the face-realism virtualenv (scripts/face-realism.sh installs it):
  target/face-realism-venv/bin/python scripts/face-people.py 200 2
Deterministic for the same arguments and drawing.
"""
import itertools, os, subprocess, sys, tempfile

import cv2, dlib, numpy as np, face_recognition_models as models

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "facesim-benches",
                "--example", "face-sheet"], cwd=root, check=True)
sheet = os.path.join(root, "target", "release", "examples", "face-sheet")
hog = dlib.get_frontal_face_detector()
shape = dlib.shape_predictor(models.pose_predictor_model_location())
resnet = dlib.face_recognition_model_v1(models.face_recognition_model_location())
haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def person_ids(count, first=1):
    """Ids spread over the u64 range by a fixed multiplier, as face-bank.py's."""
    return [(i * 0x9E3779B97F4A7C15 + 0x1234567) % (1 << 64) for i in range(first, first + count)]


def draw(ids, views, setting=None, described=False):
    """Yields (id, view, BGR pixels) of every view of every id; with `described`, also
    `face-sheet`'s description of the view (its tab-separated fields)."""
    # Without a setting of its own, the environment's `FACE_SHEET_SET` (if any) applies.
    env = dict(os.environ, FACE_SHEET_PERSON="1")
    if setting is not None:
        env["FACE_SHEET_SET"] = setting
    if described:
        env["FACE_SHEET_DESCRIBE"] = "1"
    descriptions = {}
    with tempfile.TemporaryDirectory() as out:
        for chunk in range(0, len(ids), 100):
            run = subprocess.run([sheet, out, str(views)] + [str(i) for i in ids[chunk:chunk + 100]],
                                 check=True, env=env, capture_output=True, text=True)
            for line in run.stdout.splitlines():
                fields = line.split("\t")
                descriptions[fields[0]] = fields
        for i in ids:
            for v in range(views):
                pixels = cv2.imread(f"{out}/{i}-{v}.jpg")
                if described:
                    yield i, v, pixels, descriptions[f"{i}-{v}"]
                else:
                    yield i, v, pixels


def haar_finds_one(bgr):
    """Whether OpenCV's Haar cascade finds exactly one face."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return len(haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)) == 1


def describe(bgr):
    """dlib's descriptor of the one face HOG finds, or None; and whether Haar found one."""
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    boxes = hog(rgb, 1)
    found = haar_finds_one(bgr)
    if len(boxes) != 1:
        return None, found
    return np.array(resnet.compute_face_descriptor(rgb, shape(rgb, boxes[0]))), found


def people(count, views):
    ids = person_ids(count)
    described, hog_found, haar_found = {}, 0, 0
    for i, _, bgr in draw(ids, views):
        d, found = describe(bgr)
        haar_found += found
        if d is not None:
            hog_found += 1
            described.setdefault(i, []).append(d)
    same = np.array([np.linalg.norm(a - b) for ds in described.values()
                     for a, b in itertools.combinations(ds, 2)])
    # One pair per two people: the first view of one, the last of the other.
    diff = np.array([np.linalg.norm(described[a][0] - described[b][-1])
                     for a, b in itertools.combinations(described, 2)])
    shots = count * views
    print(f"HOG {100 * hog_found / shots:.1f}%, Haar {100 * haar_found / shots:.1f}% of {shots} "
          f"snapshots; same person: mean {same.mean():.3f}, under 0.6 in "
          f"{100 * np.mean(same < 0.6):.1f}%; different people: mean {diff.mean():.3f} "
          f"(sd {diff.std():.3f}), at or above 0.6 in {100 * np.mean(diff >= 0.6):.1f}%")


def compare(settings):
    ids = [7, 8, 9, 10, 11, 12]
    described = [[describe(bgr)[0] for _, _, bgr in draw(ids, 1, s)] for s in settings]
    for (a, sa), (b, sb) in itertools.combinations(enumerate(settings), 2):
        pairs = [np.linalg.norm(x - y) for x, y in zip(described[a], described[b])
                 if x is not None and y is not None]
        print(f"{sa} vs {sb}: mean {np.mean(pairs):.3f} over {len(pairs)} people")


# The fields of `face-sheet`'s description that `detect` reads (see its documentation).
STYLE, SKIN_LUMA, HAIR_LUMA, SEX = 1, 4, 11, 12


def detect(count, views, who):
    if who not in ("all", "beardable", "Long", "Short", "Bald", "Bun", "Curly"):
        sys.exit(f"face-people.py: WHO is all, beardable or a hair style (Long, Short, Bald, "
                 f"Bun, Curly), not {who!r}")
    kept = []  # (HOG found one, Haar found one, skin luma, hair luma)
    first = int(os.environ.get("FACE_PEOPLE_FIRST", "1"))
    for _, _, bgr, d in draw(person_ids(count, first), views, described=True):
        style, sex = d[STYLE], d[SEX]
        if who == "beardable" and not (sex == "Male" and style in ("Short", "Bald")):
            continue
        if who not in ("all", "beardable") and style != who:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        kept.append((len(hog(rgb, 1)) == 1, haar_finds_one(bgr),
                     float(d[SKIN_LUMA]), float(d[HAIR_LUMA])))
    if not kept:
        sys.exit(f"face-people.py: none of {count} people is {who}")
    found = np.array([k[:2] for k in kept])
    print(f"{who}: HOG {100 * found[:, 0].mean():.1f}%, Haar {100 * found[:, 1].mean():.1f}% "
          f"of {len(kept)} snapshots")
    for column, name in ((2, "skin luma"), (3, "hair luma")):
        values = np.array([k[column] for k in kept])
        edges = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
        parts = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            inside = (values >= lo) & (values <= hi)
            parts.append(f"{lo:.0f}-{hi:.0f}: {100 * found[inside, 1].mean():.0f}%")
        print(f"  Haar by quarter of {name}: " + ", ".join(parts))


if len(sys.argv) > 1 and sys.argv[1] == "--compare":
    compare(sys.argv[2:])
elif len(sys.argv) > 1 and sys.argv[1] == "--detect":
    detect(int(sys.argv[2]) if len(sys.argv) > 2 else 600,
           int(sys.argv[3]) if len(sys.argv) > 3 else 2,
           sys.argv[4] if len(sys.argv) > 4 else "all")
else:
    people(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
           int(sys.argv[2]) if len(sys.argv) > 2 else 2)
