# Included by _core.pyx: the compiled twin of ``normalize/detect.py``'s line classifier (``_lines.h``).

cdef extern from "_lines.h":
    ctypedef struct cg_text:
        int kind
        const void* data
    int cg_hint(const cg_text* t, Py_ssize_t s, Py_ssize_t e) noexcept
    int cg_hint_end(const cg_text* t, Py_ssize_t n) noexcept
    int cg_line_kind(const cg_text* t, Py_ssize_t s, Py_ssize_t e) noexcept
    Py_ssize_t cg_line_end(const cg_text* t, Py_ssize_t s, Py_ssize_t n) noexcept
    int PyUnicode_KIND(object)
    const void* PyUnicode_DATA(object)

_KIND_NAMES = ("blank", "fence", "code", "prose", "weak")


def line_kinds(str text, bint always=False):
    """``detect._line_kind`` of each line of ``text.splitlines(keepends=True)``; ``None`` when
    ``detect.hints_at_code`` says no line hints at code (unless ``always``)."""
    cdef cg_text t
    cdef Py_ssize_t n = len(text), s, e
    cdef bint hinted = always
    t.kind = PyUnicode_KIND(text)
    t.data = PyUnicode_DATA(text)
    if not hinted:
        hinted = cg_hint_end(&t, n)
        s = 0
        while not hinted and s < n:
            e = cg_line_end(&t, s, n)
            hinted = cg_hint(&t, s, e)
            s = e
    if not hinted:
        return None
    names = _KIND_NAMES
    out = []
    s = 0
    while s < n:
        e = cg_line_end(&t, s, n)
        out.append(names[cg_line_kind(&t, s, e)])
        s = e
    return out


cdef extern from "_lines.h":
    Py_ssize_t cg_fences(const cg_text* t, Py_ssize_t n, Py_ssize_t* out, Py_ssize_t cap) noexcept


def fences(str text):
    """``markdown._fenced_blocks`` of ``text`` as ``(open, body_start, body_end, close, info_start, info_end)``."""
    cdef cg_text t
    cdef Py_ssize_t n = len(text), found, i
    cdef Py_ssize_t local[6 * 8]
    cdef Py_ssize_t* out = local
    t.kind = PyUnicode_KIND(text)
    t.data = PyUnicode_DATA(text)
    found = cg_fences(&t, n, out, 8)
    if found > 8:
        out = <Py_ssize_t*> malloc(6 * found * sizeof(Py_ssize_t))
        if out == NULL:
            raise MemoryError()
        cg_fences(&t, n, out, found)
    try:
        return [(out[6 * i], out[6 * i + 1], out[6 * i + 2], out[6 * i + 3], out[6 * i + 4], out[6 * i + 5])
                for i in range(found)]
    finally:
        if out != local:
            free(out)
