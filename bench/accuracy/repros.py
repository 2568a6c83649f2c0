"""Small, self-contained reproductions of the weaknesses bench/accuracy found (see README.md).

    python bench/accuracy/repros.py

Each case indexes one or two protected snippets in a temporary index and
prints what ``Guard.check`` returns for a realistic copy.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from copyguard.corpus import Document  # noqa: E402
from copyguard.guard import Guard  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402
from copyguard.normalize.detect import detect_language  # noqa: E402
from copyguard.params import Params  # noqa: E402

ACORN = """\
pp$6.updateContext = function(prevType) {
  var update, type = this.type;
  if (type.keyword && prevType === types$1.dot)
    { this.exprAllowed = false; }
  else if (update = type.updateContext)
    { update.call(this, prevType); }
  else
    { this.exprAllowed = type.beforeExpr; }
};

function isIdentifierChar(code, astral) {
  if (code < 48) { return code === 36 }
  if (code < 58) { return true }
  if (code < 65) { return false }
  if (code < 91) { return true }
  if (code < 97) { return code === 95 }
  if (code < 123) { return true }
  if (code <= 0xffff) { return code >= 0xaa && nonASCIIidentifier.test(String.fromCharCode(code)) }
  if (astral === false) { return false }
  return isInAstralSet(code, astralIdentifierStartCodes) || isInAstralSet(code, astralIdentifierCodes)
}
"""

# prettier's output for isIdentifierChar after renaming (it adds the optional semicolons)
PRETTIER = """\
function isIdentifierChar(c, a) {
  if (c < 48) {
    return c === 36;
  }
  if (c < 58) {
    return true;
  }
  if (c < 65) {
    return false;
  }
  if (c < 91) {
    return true;
  }
  if (c < 97) {
    return c === 95;
  }
  if (c < 123) {
    return true;
  }
  if (c <= 0xffff) {
    return c >= 0xaa && nonASCIIidentifier.test(String.fromCharCode(c));
  }
  if (a === false) {
    return false;
  }
  return isInAstralSet(c, astralIdentifierStartCodes) || isInAstralSet(c, astralIdentifierCodes);
}
"""

DOCSTRING = '''\
def convert_to_datetime(fmt: str = "%Y-%m-%dT%H:%M:%S.%f"):
    """Helper to create a parse action for converting parsed
    datetime string to Python datetime.datetime objects, with the
    format given, and to report a parse exception when the string
    does not match the format; the action can be added to any
    expression that matches an ISO 8601 timestamp, such as the
    common iso8601_datetime expression, and the converted value
    replaces the matched tokens in the parse results so that the
    caller receives a datetime object directly instead of a string
    that it would otherwise have to convert again by itself later.
    """

    def cvt_fn(s, l, t):
        try:
            return datetime.strptime(t[0], fmt)
        except ValueError as ve:
            raise ParseException(s, l, str(ve))

    return cvt_fn
'''

URLLIB3 = '''\
class PoolManager(RequestMethods):
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> typing.Literal[False]:
        self.clear()
        # Return False to re-raise any potential exceptions
        return False
'''

PIP_OWN = '''\
class BuildTracker:
    def __enter__(self) -> BuildTracker:
        logger.debug("Entered build tracker: %s", self._root)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.cleanup()
'''


def guard(docs: list[Document]) -> Guard:
    path = Path(tempfile.mkdtemp(prefix="cg-repro-")) / "idx"
    index_documents(docs, str(path), params=Params())
    return Guard.open(path)


def show(title: str, verdict) -> None:
    found = [(m.source, m.kind, round(m.similarity, 2), m.tokens) for m in verdict.matches]
    print(f"{title}\n    -> {found or 'no match'}")


def main() -> None:
    js = guard([Document("acorn.js", ACORN, "javascript", "MIT", None)])
    print("1. untagged fence of acorn-style JavaScript is not detected as code:")
    print(f"    detect_language(...) = {detect_language(ACORN.split(chr(10) + chr(10))[0])!r}")
    show("    Guard.check(answer with the block in an untagged fence)",
         js.check("Sure:\n\n```\n" + ACORN.split("\n\n")[0] + "\n```\n\nHope this helps!\n"))
    show("    same block in a ```javascript fence", js.check("Sure:\n\n```javascript\n" + ACORN.split("\n\n")[0]
                                                             + "\n```\n"))
    print("2. semicolons that prettier adds break every shingle (renamed copy of isIdentifierChar):")
    show("    with semicolons", js.check(PRETTIER, "javascript"))
    show("    the same without semicolons", js.check(PRETTIER.replace(";", ""), "javascript"))
    py = guard([Document("pyparsing/common.py", DOCSTRING, "python", "MIT", None),
                Document("urllib3/poolmanager.py", URLLIB3, "python", "MIT", None)])
    print("3. docstring text is invisible: the docstring is one <STR> token, and a copy cut inside it")
    print("   (a truncated answer) lexes its words as code:")
    show("    first 8 lines (cut inside the docstring)", py.check("\n".join(DOCSTRING.splitlines()[:8]), "python"))
    doc_only = DOCSTRING.split('"""')[1]
    show("    the docstring's text as prose", py.check(doc_only))
    show("    the docstring inside a function of ours",
         py.check('def f():\n    """' + doc_only + '"""\n    return 1\n', "python"))
    print("4. boilerplate signature (pip's own BuildTracker vs urllib3's PoolManager) is reported as a copy:")
    show("    pip's BuildTracker", py.check(PIP_OWN, "python"))
    print("5. multi-character operators are lexed one character per token (a 6-token shingle spans ~3 real tokens):")
    from copyguard.normalize import normalize

    src = "if (a === b || c !== d) { x += 1; }"
    ts = normalize(src, "javascript")
    print(f"    {src!r} -> {[src[s:e] for s, e in zip(ts.starts, ts.ends)]}")


if __name__ == "__main__":
    main()
