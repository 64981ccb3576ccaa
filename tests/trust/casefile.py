"""What every file of trust cases shares: `FILE --list` names its @case
functions by reading its source (CMake lists them at configure time, where
h5py and numpy need not be installed yet), and `FILE NAME` runs one in a
scratch directory. Exit 0: passed; 1: failed; 77: skipped."""
import ast
import os
import sys

SKIP = 77


def list_cases(path):
    with open(path) as source:
        tree = ast.parse(source.read())
    return [f.name for f in tree.body if isinstance(f, ast.FunctionDef)
            and any(isinstance(d, ast.Name) and d.id == "case" for d in f.decorator_list)]


def listing_requested(path):
    """Prints the cases of `path` and returns True when asked to list them."""
    if sys.argv[1:] != ["--list"]:
        return False
    print(";".join(list_cases(path)))
    return True


def registry():
    """A file's cases, and the @case decorator that adds one to them."""
    cases = {}

    def case(fn):
        cases[fn.__name__] = fn
        return fn

    return cases, case


def run_case(cases, name):
    from harness import Failed, Scratch  # h5py: only when a case runs

    with Scratch() as s:
        try:
            outcome = cases[name](s)
        except Failed as e:
            print("FAIL %s: %s" % (name, e))
            return 1
    if outcome == SKIP:
        if os.geteuid() == 0:  # root in a container without CAP_SYS_ADMIN: nothing to install
            print("SKIP (not installable) %s: root cannot mount a tmpfs here" % name)
        else:
            print("SKIP %s: cannot mount a tmpfs here (needs root)" % name)
        return SKIP
    print("PASS " + name)
    return 0
