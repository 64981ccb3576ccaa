"""Inputs that used to be read as something they are not: a hierarchy whose
class names are not the dataset's (mapped by position, so "tops" became Bag +
Shirt). Each case runs the real binary; see
casefile.py for how they are listed and run."""
import sys

from casefile import listing_requested, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import os
import re

from harness import check, expect_error, expect_ok, run

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


FMNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
          "Ankle boot"]
PAIRS = "superclasses:\n  tops: [T-shirt/top, Shirt]\n  outerwear: [Pullover, Coat]\n" \
        "  shoes: [Sandal, Sneaker]\n  long: [Trouser, Dress]\n  accessories: [Bag, Ankle boot]\n"


def hierarchy_study(s, folder, classes, superclasses=PAIRS):
    """A study of fmnist/mine whose hierarchy (mine.yaml in `folder`) lists `classes`."""
    os.makedirs(s / folder)
    with open(os.path.join(s / folder, "mine.yaml"), "w") as f:
        f.write("name: mine\nclasses: [%s]\n%s" % (", ".join(classes), superclasses))
    path = s / (folder + ".yaml")
    with open(path, "w") as f:
        f.write("study: h\noutput: %s\ngrid: {dataset: [fmnist/mine], architecture: [mlp], normalization: [none]}\n"
                "data: {hierarchy_dir: %s}\n" % (s / "out", s / folder))
    return path


def run_ids(r):
    return re.findall(r"^([0-9a-f]{16}) ", r.out, re.M)


# Issue 21, item 6: classes are matched by name, so a `classes:` list in
# another order is the same hierarchy (the same labels, the same run id)
# instead of silently relabelling the data.
@case
def hierarchy_classes_in_another_order(s):
    listed = run(["plan", hierarchy_study(s, "listed", FMNIST)], ranks=0)
    expect_ok(listed)
    alphabetical = run(["plan", hierarchy_study(s, "alphabetical", sorted(FMNIST))], ranks=0)
    expect_ok(alphabetical)
    check(run_ids(listed) and run_ids(listed) == run_ids(alphabetical),
          "an alphabetised classes: list is another hierarchy: %r\n%r" % (listed, alphabetical))


@case
def hierarchy_class_not_in_dataset(s):
    cifar = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    path = hierarchy_study(s, "cifar", cifar, "superclasses:\n  a: [airplane, automobile]\n  b: [bird, cat]\n")
    expect_error(run(["plan", path], ranks=0), 3, "mine.yaml:2", "'airplane' is not a class of Fashion-MNIST",
                 "T-shirt/top")
    typo = [c if c != "Sneaker" else "Sneakers" for c in FMNIST]
    path = hierarchy_study(s, "typo", typo, "superclasses:\n  shoes: [Sandal, Sneakers]\n  tops: [T-shirt/top, Shirt]\n")
    expect_error(run(["plan", path], ranks=0), 3, "mine.yaml:2", "'Sneakers'", "did you mean 'Sneaker'")
    # The BREEDS form (no classes: list): the line of the superclass naming it.
    with open(s / "typo/mine.yaml", "w") as f:
        f.write("name: mine\nsuperclasses:\n  shoes: [Sandal, Sneaker]\n  tops: [T-shirt/top, Shrit]\n")
    expect_error(run(["run", path], timeout=60), 3, "mine.yaml:4", "'Shrit'", "did you mean 'Shirt'")


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
