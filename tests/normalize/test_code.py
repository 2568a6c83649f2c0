"""Code normalization: renamed copies hash alike, offsets point at the source, bad input never raises."""

from __future__ import annotations

import numpy as np
import pytest

from copyguard.errors import UnknownLanguageError
from copyguard.normalize import grammars
from copyguard.normalize.code import normalize_code
from copyguard.normalize.tokens import ID, STR, Kind, hash_string

# For every language: an original function, the same function with its local
# names consistently renamed, re-indented, re-wrapped and comments changed,
# and an unrelated function.
SAMPLES: dict[str, tuple[str, str, str]] = {
    "python": (
        '''
def moving_average(values, window=3):
    """Average of each window."""
    result = []
    total = 0.0  # running sum
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        result.append(round(total / min(index + 1, window), ndigits=2))
    return result
''',
        '''
def smooth(xs, w=3):
    """Average of each window."""
    out = []
    acc = 0.0
    for i, x in enumerate(xs):
      acc += x   # add the new one
      if i >= w:
          acc -= xs[i - w]
      out.append(round(acc / min(i + 1,
                                 w), ndigits=2))
    return out
''',
        '''
class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)
''',
    ),
    "javascript": (
        '''
function debounce(fn, delay) {
  let timer = null;
  // reset the timer on every call
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), delay);
  };
}
''',
        '''
function d(f, ms) {
    let t = null;  /* pending */
    return function (...a) { clearTimeout(t);
        t = setTimeout(() => f.apply(this, a),
                       ms); };
}
''',
        '''
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
export default { sum, label: `total ${sum([1, 2])}` };
''',
    ),
    "typescript": (
        '''
export function groupBy<T>(items: T[], key: (item: T) => string): Record<string, T[]> {
  const groups: Record<string, T[]> = {};
  for (const item of items) {
    const k = key(item); // bucket name
    (groups[k] ??= []).push(item);
  }
  return groups;
}
''',
        '''
export function bucket<U>(xs: U[], f: (x: U) => string): Record<string, U[]> {
    const out: Record<string, U[]> = {};
    for (const x of xs) { const name = f(x);
        (out[name] ??= []).push(x); }
    return out;
}
''',
        '''
interface Point { x: number; y: number }
const origin: Point = { x: 0, y: 0 };
''',
    ),
    "tsx": (
        '''
export function Greeting({ name, count }: { name: string; count: number }) {
  const [clicks, setClicks] = useState<number>(0);
  return (
    <div className="greeting" onClick={() => setClicks(clicks + count)}>
      Hello, {name}! {clicks}
    </div>
  );
}
''',
        '''
export function Hi({ name, count }: { name: string; count: number }) {
    const [n, setN] = useState<number>(0); // state
    return (<div className="greeting" onClick={() => setN(n + count)}>
        Hello, {name}! {n}</div>);
}
''',
        '''
export const List = ({ items }: { items: string[] }) => <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>;
''',
    ),
    "java": (
        '''
public class Search {
    // classic binary search
    public static int binarySearch(int[] data, int target) {
        int low = 0, high = data.length - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (data[mid] < target) low = mid + 1;
            else if (data[mid] > target) high = mid - 1;
            else return mid;
        }
        return -1;
    }
}
''',
        '''
public class Finder {
  /** Finds a key. */
  public static int find(int[] a, int key) {
    int lo = 0, hi = a.length - 1;
    while (lo <= hi) { int m = (lo + hi) >>> 1;
      if (a[m] < key) lo = m + 1;
      else if (a[m] > key) hi = m - 1;
      else return m; }
    return -1;
  }
}
''',
        '''
public class Hello {
    public static void main(String[] args) {
        System.out.println("Hello, world");
    }
}
''',
    ),
    "c": (
        '''
#include <string.h>
/* reverse a string in place */
void reverse(char *str) {
    size_t len = strlen(str);
    for (size_t i = 0; i < len / 2; i++) {
        char tmp = str[i];
        str[i] = str[len - 1 - i];
        str[len - 1 - i] = tmp;
    }
}
''',
        '''
#include <string.h>
void rev(char *s) {
  size_t n = strlen(s);   // length
  for (size_t k = 0; k < n / 2; k++) { char c = s[k];
    s[k] = s[n - 1 - k]; s[n - 1 - k] = c; }
}
''',
        '''
struct point { int x, y; };
int dot(struct point *a, struct point *b) { return a->x * b->x + a->y * b->y; }
''',
    ),
    "cpp": (
        '''
#include <vector>
template <typename T>
T sumOf(const std::vector<T>& values) {
    T total{};
    for (const auto& value : values) {
        total += value;  // accumulate
    }
    return total;
}
''',
        '''
#include <vector>
template <typename U>
U add_all(const std::vector<U>& xs) {
  U acc{};
  for (const auto& x : xs) { acc += x; }
  return acc;
}
''',
        '''
class Counter {
 public:
  void inc() { ++count_; }
 private:
  int count_ = 0;
};
''',
    ),
    "go": (
        '''
package main

// Reverse returns the runes of s in reverse order.
func Reverse(s string) string {
	runes := []rune(s)
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		runes[i], runes[j] = runes[j], runes[i]
	}
	return string(runes)
}
''',
        '''
package main

func Flip(text string) string {
    r := []rune(text) // copy
    for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
        r[a], r[b] = r[b], r[a] }
    return string(r)
}
''',
        '''
package main

import "fmt"

type Point struct{ X, Y int }

func (p Point) String() string { return fmt.Sprintf("(%d, %d)", p.X, p.Y) }
''',
    ),
    "rust": (
        '''
/// Counts words in a text.
fn word_counts(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}
''',
        '''
fn tally(s: &str) -> HashMap<String, usize> {
  let mut m = HashMap::new(); // map
  for w in s.split_whitespace() { *m.entry(w.to_lowercase())
      .or_insert(0) += 1; }
  m
}
''',
        '''
struct Point { x: f64, y: f64 }
impl Point {
    fn norm(&self) -> f64 { (self.x * self.x + self.y * self.y).sqrt() }
}
''',
    ),
    "c_sharp": (
        '''
public static class Stats {
    // arithmetic mean
    public static double Mean(IList<double> values) {
        double total = 0;
        foreach (var value in values) {
            total += value;
        }
        return values.Count == 0 ? 0 : total / values.Count;
    }
}
''',
        '''
public static class Stats {
  public static double Mean(IList<double> xs) {
    double acc = 0;  /* sum */
    foreach (var x in xs) { acc += x; }
    return xs.Count == 0 ? 0 : acc / xs.Count;
  }
}
''',
        '''
class Program {
    static void Main(string[] args) { Console.WriteLine($"Hi {args.Length}"); }
}
''',
    ),
    "ruby": (
        '''
# Groups words by their first letter.
def group_words(words)
  groups = Hash.new { |hash, key| hash[key] = [] }
  words.each do |word|
    groups[word[0].downcase] << word
  end
  groups
end
''',
        '''
def by_initial(list)
    out = Hash.new { |h, k| h[k] = [] }   # auto-vivify
    list.each do |w| out[w[0].downcase] << w end
    out
end
''',
        '''
class Greeter
  attr_reader :name
  def initialize(name) = @name = name
  def greet = puts("Hello #{name}")
end
''',
    ),
    "php": (
        '''<?php
// Sum the prices of all items.
function cart_total(array $items, float $tax = 0.2): float {
    $total = 0;
    foreach ($items as $item) {
        $total += $item->price * $item->quantity;
    }
    return round($total * (1 + $tax), 2);
}
''',
        '''<?php
function total(array $xs, float $rate = 0.2): float {
  $sum = 0; # running
  foreach ($xs as $x) { $sum += $x->price * $x->quantity; }
  return round($sum * (1 + $rate), 2);
}
''',
        '''<?php
class User {
    public function __construct(private string $name) {}
    public function greet(): string { return "Hello " . $this->name; }
}
''',
    ),
    "bash": (
        '''
# back up every file given on the command line
backup() {
  local dest="$1"
  shift
  for file in "$@"; do
    cp -- "$file" "$dest/$(basename "$file").bak"
  done
}
''',
        '''
backup() {
    local target="$1"   # where to
    shift
    for f in "$@"; do
        cp -- "$f" "$target/$(basename "$f").bak"
    done
}
''',
        '''
if [ -z "$HOME" ]; then
  echo "no home" >&2
  exit 1
fi
''',
    ),
}


def test_every_grammar_has_samples():
    assert sorted(SAMPLES) == grammars.names()


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_renamed_copy_hashes_equal(lang):
    original, renamed, _ = SAMPLES[lang]
    a, b = normalize_code(original, lang), normalize_code(renamed, lang)
    assert len(a) > 20
    assert a.hashes.tolist() == b.hashes.tolist()
    assert a.kinds.tolist() == b.kinds.tolist()
    assert a.exact.tolist() != b.exact.tolist()


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_unrelated_code_differs(lang):
    original, _, other = SAMPLES[lang]
    a, c = normalize_code(original, lang), normalize_code(other, lang)
    assert a.hashes.tolist() != c.hashes.tolist()
    shared = len(set(_trigrams(a.hashes)) & set(_trigrams(c.hashes)))
    assert shared < 0.5 * min(len(a), len(c))


def _trigrams(h):
    return [tuple(h[i : i + 3]) for i in range(len(h) - 2)]


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_offsets_and_exact_hashes_round_trip(lang):
    for text in SAMPLES[lang]:
        ts = normalize_code(text, lang)
        # tokens follow each other, but for a shorthand property's three (key, ``:``, name) on the name's span
        same = (ts.starts[:-1] == ts.starts[1:]) & (ts.ends[:-1] == ts.ends[1:])
        assert (ts.starts < ts.ends).all() and ((ts.ends[:-1] <= ts.starts[1:]) | same).all()
        assert ts.ends[-1] <= len(text)
        for i in range(len(ts)):
            shorthand_colon = 0 < i < len(ts) - 1 and same[i - 1] and same[i]
            assert int(ts.exact[i]) == hash_string(":" if shorthand_colon else ts.token_text(i))
            assert not ts.token_text(i).isspace()
        kinds = ts.kinds
        assert (ts.hashes[kinds == Kind.IDENT] == ID).all()
        assert (ts.hashes[kinds == Kind.KEPT] == ts.exact[kinds == Kind.KEPT]).all()
        assert (ts.hashes[kinds == Kind.OTHER] == ts.exact[kinds == Kind.OTHER]).all()
        assert (ts.hashes[kinds == Kind.LITERAL] != ts.exact[kinds == Kind.LITERAL]).all()


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_identifier_nodes_become_name_tokens(lang):
    """Every identifier node of the tree ends exactly where an IDENT or KEPT token ends (but in erased types)."""
    text = SAMPLES[lang][0]
    ts = normalize_code(text, lang)
    name_ends = {int(e) for e, k in zip(ts.ends, ts.kinds) if k in (Kind.IDENT, Kind.KEPT)}
    g = grammars.get(lang)
    data = text.encode()
    checked = 0
    opaque = set(g.strings + g.comments + g.erased)
    for node in _walk(grammars.parser(g).parse(data).root_node, opaque):
        if node.type in g.identifiers and node.byte_range[1] > node.byte_range[0]:
            end = len(data[: node.end_byte].decode())
            assert end in name_ends, (node.type, node.text)
            checked += 1
    assert checked >= 2


def _walk(root, skip):
    """Nodes of the tree, not descending into node types in ``skip``."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node.type not in skip:
            stack.extend(node.children)


def _tokens(ts):
    return [(ts.token_text(i), Kind(int(ts.kinds[i])).name) for i in range(len(ts))]


def test_python_token_kinds():
    src = 'import numpy as np\ny = np.zeros(n, dtype=float)  # c\nprint(len(y), "s", 1.5e-3, self.v)\n'
    toks = _tokens(normalize_code(src, "python"))
    assert toks[:3] == [("y", "IDENT"), ("=", "OTHER"), ("np", "IDENT")]  # import dropped
    assert ("import", "OTHER") not in toks and ("n", "IDENT") in toks
    for kept in ("zeros", "dtype", "float", "print", "len", "self", "v"):
        assert (kept, "KEPT") in toks
    assert ('"s"', "LITERAL") in toks and ("1.5e-3", "LITERAL") in toks
    assert all(t != "#" and "c" != t for t, _ in toks)


def test_soft_keywords_are_keywords_only_where_parsed_as_such():
    src = "match cmd:\n    case 1:\n        type = 2\nmatch = type\n"
    toks = _tokens(normalize_code(src, "python"))
    assert toks[0] == ("match", "OTHER") and ("case", "OTHER") in toks
    assert toks[-3:] == [("match", "IDENT"), ("=", "OTHER"), ("type", "KEPT")]


def test_string_with_children_is_one_token():
    ts = normalize_code('const s = `a ${b + "c"} d`;', "javascript")
    assert _tokens(ts) == [("const", "OTHER"), ("s", "IDENT"), ("=", "OTHER"),
                           ('`a ${b + "c"} d`', "LITERAL"), (";", "OTHER")]
    assert ts.hashes[3] == STR


def test_member_access_keeps_attribute_but_not_spread():
    toks = _tokens(normalize_code("f(...rest); a.b; x?.y; 0..n", "javascript"))
    assert ("rest", "IDENT") in toks and ("b", "KEPT") in toks and ("y", "KEPT") in toks
    c = _tokens(normalize_code("int f(struct s *p) { return p->len + q.cap; }", "c"))
    assert ("len", "KEPT") in c and ("cap", "KEPT") in c and ("p", "IDENT") in c


def test_non_ascii_offsets():
    src = 's = "héllo 🎉"\nимя = s + 1  # коммент\nzé = имя\n'
    ts = normalize_code(src, "python")
    assert [ts.token_text(i) for i in range(len(ts))] == [
        "s", "=", '"héllo 🎉"', "имя", "=", "s", "+", "1", "zé", "=", "имя"]
    assert ts.kinds[3] == Kind.IDENT and ts.exact[3] == ts.exact[10]
    js = normalize_code('const ü = "日本語"; let x = ü.länge;', "javascript")
    assert [js.token_text(i) for i in range(len(js))][-4:] == ["ü", ".", "länge", ";"]


def test_units_nested_and_ordered():
    src = "class A:\n    def f(self):\n        def g():\n            return 1\n        return g\n\ndef h():\n    pass\n"
    ts = normalize_code(src, "python")
    texts = [src[ts.starts[a] : ts.ends[b - 1]] for a, b in ts.units]
    assert texts[0].startswith("class A") and texts[0].endswith("return g")
    assert texts[1].startswith("def f") and texts[2].startswith("def g")
    assert texts[3] == "def h():\n    pass"
    assert ts.units.dtype == np.int64 and ts.units.shape == (4, 2)


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_units_found_in_every_language(lang):
    ts = normalize_code(SAMPLES[lang][0], lang)
    assert ts.units.shape[0] >= 1
    first, end = ts.units[0]
    assert 0 <= first < end <= len(ts)


def test_java_units_class_and_method():
    ts = normalize_code(SAMPLES["java"][0], "java")
    heads = [ts.token_text(int(a)) for a, _ in ts.units]
    assert heads == ["public", "public"]
    assert ts.units[0, 0] < ts.units[1, 0] and ts.units[1, 1] <= ts.units[0, 1]


@pytest.mark.parametrize("text", ["", "   \n\t ", "# only a comment\n"])
def test_empty_inputs(text):
    ts = normalize_code(text, "python")
    assert len(ts) == 0 and ts.lang == "python" and ts.units.shape == (0, 2)


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_broken_code_still_yields_tokens(lang):
    original = SAMPLES[lang][0]
    for broken in (original[: len(original) // 2], original.replace("(", "", 2) + ")))}}}",
                   "\x00\x01 ]]] ((( ' \" ` " + original[::-1]):
        ts = normalize_code(broken, lang)
        assert len(ts) > 5
        # every token is text of the code, or a line break that ends a statement (``Grammar.statement_end``)
        ends = {hash_string(t) for t in grammars.get(lang).statement_end}
        assert all(ts.token_text(i).strip() or int(ts.hashes[i]) in ends for i in range(len(ts)))


@pytest.mark.parametrize("lang", ["python", "javascript", "c", "rust"])
def test_deep_nesting(lang):
    ts = normalize_code("x = " + "(" * 5000 + "1" + ")" * 5000 + ";", lang)
    assert len(ts) >= 10_000
    ts = normalize_code("[" * 5000 + "{" * 3000, lang)
    assert len(ts) == 8000


def test_one_megabyte_single_line():
    text = "var a0=1;" + "".join(f"a{i % 97}=a{i % 89}+{i};" for i in range(80_000))
    assert len(text) > 1_000_000 and "\n" not in text
    ts = normalize_code(text, "javascript")
    assert len(ts) > 400_000
    assert ts.token_text(len(ts) - 1) == ";"


def test_unknown_language():
    with pytest.raises(UnknownLanguageError, match="python"):
        normalize_code("x", "cobol")


def test_lang_alias_gives_canonical_name():
    assert normalize_code("x = 1", "py3").lang == "python"
    assert normalize_code("int x;", "c++").lang == "cpp"


def test_ascii_and_unicode_paths_agree():
    """The byte-level ASCII path and the code point path give the same tokens."""
    for lang in sorted(SAMPLES):
        for text in SAMPLES[lang]:
            a = normalize_code(text, lang)
            b = normalize_code(text + "\n// é", lang) if lang != "python" else normalize_code(text + "\n# é", lang)
            n = len(a)
            if lang == "bash":
                continue  # '//' is a word there
            assert b.exact[:n].tolist() == a.exact.tolist() and b.hashes[:n].tolist() == a.hashes.tolist()
            assert b.starts[:n].tolist() == a.starts.tolist() and b.kinds[:n].tolist() == a.kinds.tolist()


@pytest.mark.parametrize("lang, src, name", [
    ("ruby", "x = obj.method_name(1)\n", "method_name"),
    ("php", "<?php $a->field_name = 1;\n", "field_name"),
    ("c", "int f(struct s *p) { return p->count + p.size; }\n", "count"),
])
def test_names_after_every_member_operator_are_kept(lang, src, name):
    from copyguard.normalize.tokens import Kind

    ts = normalize_code(src, lang)
    kinds = {ts.token_text(i): Kind(int(ts.kinds[i])).name for i in range(len(ts))}
    assert kinds[name] == "KEPT"


def test_short_literals_hash_by_their_contents_long_and_interpolated_strings_do_not():
    def lits(src: str, lang: str = "python") -> list[int]:
        ts = normalize_code(src, lang)
        return ts.hashes[ts.kinds == Kind.LITERAL].tolist()

    assert lits("x = 'done'") == lits('y = "done"')  # quotes are not contents
    assert lits("x = 'done'") != lits("x = 'failed'")
    assert lits("x = 10") != lits("x = 11")
    assert lits('x = f"{a}"') == lits('x = f"{b}"') == [STR]  # an interpolated string holds names
    assert lits('x = "Return the sum of all the values."') == [STR]  # the words channel has it
    assert lits('String s = "Enter a number";', "java") != lits('String s = "Enter the size";', "java")
    assert lits("const s = `a ${b}`;", "javascript") == [STR]


def test_a_license_in_a_module_docstring_is_not_the_sources_words():
    from copyguard.normalize.code import normalize_code_words

    doc = ('"""Copyright (c) 2015 Example.\n\nRedistribution and use in source and binary forms, with or\n'
           'without modification, are permitted."""\n\ndef f(x):\n    """Add one to the value x given."""\n'
           '    return x + 1\n')
    words = normalize_code_words(doc, "python")[1]
    assert [words.token_text(i) for i in range(len(words))] == ["Add", "one", "to", "the", "value", "x", "given"]


# --- forms a formatter or compiler chooses (NORMALIZATION 11) ---------------------------------------------------------

TYPED = '''
export class Cache<T> implements Store<T> {
  #entries: Map<string, T> = new Map()
  private readonly limit: number

  /** Keep at most `limit` entries. */
  constructor(limit: number) {
    this.limit = limit
  }

  override get(key: string, fallback?: T): T | undefined {
    const found = this.#entries.get(key) as T
    if (found !== undefined) return found
    return this.#load!(key, fallback) satisfies T | undefined
  }

  put<K extends string>(key: K, value: T,): void {
    this.#entries.set(key, value)
    this.#trim(this.limit, [key, value as unknown as T,])
  }
}

interface Store<T> {
  get(key: string): T | undefined
}
type Key = string | number
'''

# What TypeScript's transpiler, a minifier renaming locals and private names and prettier make of it.
COMPILED = '''
export class Cache {
  #e = new Map();
  limit;
  constructor(t) {
    this.limit = t;
  }
  get(t, e) {
    const s = this.#e.get(t);
    if (s !== undefined) return s;
    return this.#s(t, e);
  }
  put(t, e) {
    this.#e.set(t, e);
    this.#t(this.limit, [t, e]);
  }
}
'''


def test_a_typescript_source_and_its_compiled_javascript_give_the_same_tokens():
    """Types, interfaces, access modifiers, ``as``/``satisfies``, ``?``/``!`` marks are erased as the compiler erases
    them; semicolons, trailing commas and private ``#names`` are what a formatter or minifier chose."""
    typed, compiled = normalize_code(TYPED, "typescript"), normalize_code(COMPILED, "javascript")
    # (the transpiler drops a field declared without a value too, the tokens keep it: ``limit;`` above)
    assert typed.hashes.tolist() == compiled.hashes.tolist()
    assert "".join(typed.token_text(i) for i in range(len(typed))).startswith("exportclassCache{#entries=newMap()")
    assert len(normalize_code("interface A { x: number }\ntype B = A | null", "typescript")) == 0


@pytest.mark.parametrize("lang", ["javascript", "typescript", "tsx"])
def test_semicolons_left_to_line_breaks_give_the_same_tokens(lang):
    with_semicolons = "let a = f(x);\nconst b = {\n  k: a,\n};\nreturn g(a)[0];\n"
    without = "let a = f(x)\nconst b = {\n  k: a\n}\nreturn g(a)[0]\n"
    a, b = normalize_code(with_semicolons, lang), normalize_code(without, lang)
    assert a.hashes.tolist() == b.hashes.tolist()
    # a line that goes on (an operator, a member access, a ternary's branch) is no statement's end
    going_on = normalize_code("const c = a +\n  b\n  .map(f)\n  ? x\n  : y;\n", lang)
    assert [going_on.token_text(i) for i in range(len(going_on))].count(";") == 1


@pytest.mark.parametrize("lang", ["python", "javascript", "java", "go"])
def test_a_trailing_comma_is_no_token(lang):
    call = {"python": "f(a, b)\n", "javascript": "f(a, b);\n", "java": "f(a, b);\n", "go": "f(a, b)\n"}[lang]
    trailing = call.replace("b)", "b,\n)")
    assert normalize_code(call, lang).hashes.tolist() == normalize_code(trailing, lang).hashes.tolist()
    assert len(normalize_code(trailing, lang)) == len(normalize_code(call, lang))


def test_a_ternary_and_optional_chaining_keep_their_marks():
    ts = normalize_code("const v = a ? b : c?.d ?? e!\n", "typescript")
    texts = [";" if int(ts.hashes[i]) == hash_string(";") else ts.token_text(i) for i in range(len(ts))]
    assert "".join(texts) == "constv=a?b:c?.d??e;"


# pvlib's ``PVsystModel.to_pvsyst`` and what python-minifier (rename_locals) + black make of it: ``self`` and the
# parameters a caller may name cannot be renamed, so the minifier aliases them on the body's first lines.
_METHOD = '''def to_pvsyst(self, scale: float = 1.0):
    absorbed = self.alpha * (1.0 - self.eta)
    u_c = scale * self.u_const / absorbed
    return dict(u_c=u_c, module_efficiency=self.eta)
'''
_MINIFIED = '''def to_pvsyst(self, scale: float = 1.0):
    B = scale
    A = self
    C = A.alpha * (1.0 - A.eta)
    D = B * A.u_const / C
    return dict(u_c=D, module_efficiency=A.eta)
'''


def test_python_parameter_aliases_read_as_the_parameter():
    orig, mini = normalize_code(_METHOD, "python"), normalize_code(_MINIFIED, "python")
    assert orig.hashes.tolist() == mini.hashes.tolist() and orig.kinds.tolist() == mini.kinds.tolist()
    said = [mini.token_text(i) for i in range(len(mini))]
    assert said[said.index(":", said.index(")")) + 1] == "C"  # both alias lines dropped
    # the exact tokens follow: the alias of ``scale`` carries its name, ``A`` is ``self``
    assert mini.exact[said.index("D") + 2] == orig.exact[[orig.token_text(i) for i in range(len(orig))].index("u_c") + 2]


def test_python_assignments_that_are_no_parameter_alias_stay():
    for src in ("def f(x):\n    if x:\n        y = x\n    return y\n",  # not on the body's first line
                "def f(x):\n    y = z\n    return y + x\n",  # not a parameter
                "def f(x):\n    y = x + 1\n    return y\n",  # not a name alone
                "y = x\nz = self\n"):  # not in a function
        ts = normalize_code(src, "python")
        assert "=" in [ts.token_text(i) for i in range(len(ts))], src
    ts = normalize_code("def f(self):\n    other = self\n    return other\n", "python")
    assert [ts.token_text(i) for i in range(len(ts))][-2:] == ["return", "other"]
    assert Kind(int(ts.kinds[-1])) is Kind.KEPT and int(ts.hashes[-1]) == hash_string("self")


def test_a_shorthand_property_reads_as_a_key_and_its_value():
    """``{ data }`` means ``{ data: data }``; a minifier writes ``{ data: a }`` (lit's tuning miss: TypeScript's
    ``{ data, dataUpdatedAt: ... }`` copied as terser's output)."""
    source = normalize_code("const s = { data, dataUpdatedAt: this.t, n: 1 };\nconst { error, status = 0 } = s;", "ts")
    minified = normalize_code("const s = { data: a, dataUpdatedAt: this.t, n: 1 };\nconst { error: b, status: c = 0 } = s;",
                              "js")
    assert source.hashes.tolist() == minified.hashes.tolist()
    said = [(source.token_text(i), Kind(source.kinds[i])) for i in range(4, 7)]
    assert said == [("data", Kind.KEPT), ("data", Kind.OTHER), ("data", Kind.IDENT)]
    assert int(source.exact[5]) == hash_string(":")
    block = normalize_code("if (x) { data }", "js")  # a name in a block is no property
    assert [block.token_text(i) for i in range(len(block))].count("data") == 1
