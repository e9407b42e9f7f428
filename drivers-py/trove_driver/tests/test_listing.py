import unittest

from trove_driver import DriverError, ListRequest, Page, Position, SortedKeys, list_page, prefix_successor
from trove_driver.errors import INVALID_ARGUMENT
from trove_driver.listing import KEY, MAX_KEYS, PREFIX, seek_in


def req(prefix="", delim="", max_keys=0, cursor=None):
    return ListRequest(prefix or None, delim, max_keys, cursor)


class CountingSeek:
    """A seek over SortedKeys that counts the keys it yields and the seeks made."""

    def __init__(self, keys):
        self.keys = SortedKeys(keys)
        self.read = 0
        self.seeks = 0

    def __call__(self, start, inclusive):
        self.seeks += 1
        for k in self.keys.seek(start, inclusive):
            self.read += 1
            yield k


def dumb_seek(keys):
    """A source that ignores where to start and yields every key each time."""
    ordered = sorted(keys)

    def seek(start, inclusive):
        return iter(ordered)

    return seek


def page(keys, r, dumb=False):
    seek = dumb_seek(keys) if dumb else SortedKeys(keys).seek
    return list_page(r, seek, lambda k: k)


def all_pages(test, keys, prefix, delim, max_keys, dumb=False):
    """Every page in turn: the entries (`o:key`, `p:prefix`, interleaved by key) and the
    number of pages."""
    out, cursor, pages = [], None, 0
    while True:
        r = req(prefix, delim, max_keys, cursor)
        p = page(keys, r, dumb)
        pages += 1
        n = len(p.objects) + len(p.common_prefixes)
        test.assertLessEqual(n, r.max_keys)
        entries = sorted([(k, "o:" + k) for k in p.objects] + [(c, "p:" + c) for c in p.common_prefixes])
        out.extend(e for _, e in entries)
        if p.next_cursor is None:
            break
        test.assertEqual(n, r.max_keys, "a page with a cursor is full")
        cursor = p.next_cursor
        test.assertLess(pages, 10_000)
    return out, pages


class Requests(unittest.TestCase):
    def test_defaults(self):
        r = ListRequest()
        self.assertEqual((r.prefix, r.delimiter, r.max_keys, r.after), ("", None, 1000, None))
        self.assertEqual(MAX_KEYS, 1000)
        self.assertEqual(ListRequest(max_keys=0).max_keys, 1000)
        self.assertEqual(ListRequest(max_keys=5000).max_keys, 1000)
        self.assertEqual(ListRequest(max_keys=7).max_keys, 7)
        self.assertIsNone(ListRequest(delimiter="", cursor="").delimiter)
        self.assertIsNone(ListRequest(cursor="").after)

    def test_lower_bound(self):
        self.assertEqual(req("p/").lower_bound(), ("p/", True))
        c = Position.key("p/x").encode()
        self.assertEqual(req("p/", cursor=c).lower_bound(), ("p/x", False))
        c = Position.key("a").encode()
        self.assertEqual(req("p/", cursor=c).lower_bound(), ("p/", True))

    def test_wants_under(self):
        r = req("a/b")
        self.assertTrue(r.wants_under("a/"))
        self.assertTrue(r.wants_under("a/b/"))
        self.assertTrue(r.wants_under("a/bc/"))
        self.assertFalse(r.wants_under("b/"))
        self.assertFalse(r.wants_under("a/c/"))
        r = req(cursor=Position.key("m/n").encode())
        self.assertFalse(r.wants_under("a/"))
        self.assertTrue(r.wants_under("m/"))
        self.assertTrue(r.wants_under("z/"))
        r = req(delim="/", cursor=Position.prefix("m/").encode())
        self.assertFalse(r.wants_under("m/"))
        self.assertFalse(r.wants_under("m/x/"))
        self.assertTrue(r.wants_under("n/"))


class Cursors(unittest.TestCase):
    def test_round_trip(self):
        for pos in [Position.key("a/b"), Position.prefix("x/"), Position.key("ünï\U0010ffff"), Position.key("")]:
            c = pos.encode()
            self.assertTrue(all(ch in "0123456789abcdef" for ch in c))
            self.assertEqual(Position.decode(c), pos)
            self.assertEqual(Position.decode(c.upper()), pos)
        self.assertEqual(Position.key("a/b"), (KEY, "a/b"))
        self.assertEqual(Position.prefix("x/"), (PREFIX, "x/"))

    def test_same_encoding_as_rust(self):
        # Position::Key("ab").encode() and Position::Prefix("x/").encode() in listing.rs
        self.assertEqual(Position.key("ab").encode(), "6b6162")
        self.assertEqual(Position.prefix("x/").encode(), "70782f")

    def test_bad_cursors(self):
        for bad in ["zz", "6", "78", "6bff", "6b 61", " 6b61", "6b61\n", "not a cursor", "0x6b61", "٠٠"]:
            with self.assertRaises(DriverError, msg=repr(bad)) as cm:
                Position.decode(bad)
            self.assertEqual(cm.exception.tag, INVALID_ARGUMENT)
            self.assertTrue(cm.exception.message.startswith("invalid list cursor"))
            with self.assertRaises(DriverError):
                ListRequest(cursor=bad)


class Pages(unittest.TestCase):
    def test_flat(self):
        p = page(["b", "a", "c/d", "a-b", "a/b"], req())
        self.assertEqual(p, Page(["a", "a-b", "a/b", "b", "c/d"], [], None))

    def test_empty(self):
        self.assertEqual(page([], req()), Page())
        self.assertEqual(page([], req("a", "/", 1)), Page())

    def test_exact_fit_has_no_cursor(self):
        p = page(["a", "b", "c"], req(max_keys=3))
        self.assertEqual(p.objects, ["a", "b", "c"])
        self.assertIsNone(p.next_cursor)

        keys = ["a", "b", "c", "d"]
        p1 = page(keys, req(max_keys=2))
        self.assertEqual(p1.objects, ["a", "b"])
        self.assertIsNotNone(p1.next_cursor)
        p2 = page(keys, req(max_keys=2, cursor=p1.next_cursor))
        self.assertEqual(p2.objects, ["c", "d"])
        self.assertIsNone(p2.next_cursor)

    def test_exact_fit_with_prefixes(self):
        p = page(["a/1", "a/2", "b", "c/1"], req("", "/", 3))
        self.assertEqual(p, Page(["b"], ["a/", "c/"], None))
        # a last common prefix with many keys under it makes no cursor either
        p = page(["a", "b/1", "b/2", "b/3"], req("", "/", 2))
        self.assertEqual(p, Page(["a"], ["b/"], None))
        # keys after the prefix range do not make a cursor either
        p = page(["p/1", "p/2", "q"], req("p/", "", 2))
        self.assertEqual(p, Page(["p/1", "p/2"], [], None))

    def test_thousand_and_one(self):
        keys = [f"k{i:05}" for i in range(1001)]
        p1 = page(keys, ListRequest())
        self.assertEqual(p1.objects, keys[:1000])
        self.assertIsNotNone(p1.next_cursor)
        p2 = page(keys, ListRequest(max_keys=0, cursor=p1.next_cursor))
        self.assertEqual(p2, Page(["k01000"], [], None))
        p = page(keys[:1000], ListRequest(max_keys=5000))
        self.assertEqual(len(p.objects), 1000)
        self.assertIsNone(p.next_cursor)

    def test_delimiter_rolls_up(self):
        p = page(["a/1", "a/2", "a/b/3", "b", "c/1", "c/2/x", "d"], req("", "/"))
        self.assertEqual(p, Page(["b", "d"], ["a/", "c/"], None))

    def test_delimiter_paging_each_prefix_once(self):
        keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2/x", "d"]
        want = ["p:a/", "o:b", "p:c/", "o:d"]
        for dumb in (False, True):
            for max_keys, pages in ((1, 4), (2, 2), (3, 2), (4, 1)):
                self.assertEqual(all_pages(self, keys, "", "/", max_keys, dumb), (want, pages))

    def test_group_spanning_pages(self):
        # A common prefix whose keys would fill several pages comes once, and the next
        # page starts after the whole group.
        keys = ["a"] + [f"m/{i:03}" for i in range(50)] + ["n", "o/1", "o/2"]
        for dumb in (False, True):
            out, pages = all_pages(self, keys, "", "/", 1, dumb)
            self.assertEqual(out, ["o:a", "p:m/", "o:n", "p:o/"])
            self.assertEqual(pages, 4)
        p1 = page(keys, req("", "/", 2))
        self.assertEqual(p1.objects, ["a"])
        self.assertEqual(p1.common_prefixes, ["m/"])
        self.assertEqual(Position.decode(p1.next_cursor), Position.prefix("m/"))
        p2 = page(keys, req("", "/", 2, p1.next_cursor))
        self.assertEqual(p2, Page(["n"], ["o/"], None))

    def test_prefix_and_delimiter(self):
        keys = ["c", "c/", "c/1", "c/2/x", "c/2/y", "c/3", "cd", "d/1"]
        self.assertEqual(page(keys, req("c/", "/")), Page(["c/", "c/1", "c/3"], ["c/2/"], None))
        self.assertEqual(page(keys, req("c", "/")), Page(["c", "cd"], ["c/"], None))
        self.assertEqual(page(keys, req("c/2", "")).objects, ["c/2/x", "c/2/y"])
        self.assertEqual(page(keys, req("zz", "/")), Page())
        for dumb in (False, True):
            out, _ = all_pages(self, keys, "c/", "/", 1, dumb)
            self.assertEqual(out, ["o:c/", "o:c/1", "p:c/2/", "o:c/3"])

    def test_other_delimiters(self):
        keys = ["a--b", "a--c", "a-d", "b::x::y", "b::z"]
        self.assertEqual(page(keys, req("", "--")), Page(["a-d", "b::x::y", "b::z"], ["a--"], None))
        self.assertEqual(page(keys, req("b::", "::")), Page(["b::z"], ["b::x::"], None))
        keys = ["aéb", "aéc", "ab"]
        self.assertEqual(page(keys, req("", "é")), Page(["ab"], ["aé"], None))

    def test_paging_matches_single_page(self):
        keys = [a + b for a in ["", "a", "a/", "a-", "b/"] for b in ["x", "x/y", "x/z/w", "y", "é/1", "\U0010ffff"]]
        for prefix in ["", "a", "a/", "b/", "a/x/", "nothing", "\U0010ffff"]:
            for delim in ["", "/", "x", "/z/", "\U0010ffff"]:
                whole, pages = all_pages(self, keys, prefix, delim, 1000)
                self.assertEqual(pages, 1)
                for max_keys in (1, 2, 3, 5, 7, 100):
                    for dumb in (False, True):
                        paged, _ = all_pages(self, keys, prefix, delim, max_keys, dumb)
                        self.assertEqual(paged, whole, f"prefix {prefix!r} delim {delim!r} max {max_keys}")

    def test_byte_order(self):
        # str order is UTF-8 byte order for code points (no surrogates)
        keys = ["\uffff", "\U00010000", "\ue000", "\ud7ff", "z", "é", "\x7f"]
        want = sorted(keys, key=lambda k: k.encode("utf-8"))
        self.assertEqual(page(keys, req()).objects, want)

    def test_vanished_keys_are_left_out(self):
        keys = SortedKeys(["a", "b", "c"])
        p = list_page(req(max_keys=2), keys.seek, lambda k: None if k == "b" else k)
        self.assertEqual(p, Page(["a", "c"], [], None))
        # the look-ahead key vanished: no cursor
        p = list_page(req(max_keys=2), keys.seek, lambda k: None if k == "c" else k)
        self.assertEqual(p, Page(["a", "b"], [], None))

    def test_info_is_what_objects_hold(self):
        keys = SortedKeys(["a", "b"])
        p = list_page(req(), keys.seek, lambda k: {"key": k, "size": len(k)})
        self.assertEqual(p.objects, [{"key": "a", "size": 1}, {"key": "b", "size": 1}])

    def test_cursor_for_a_key_that_is_gone(self):
        keys = ["a", "b", "c", "d"]
        c = Position.key("b").encode()
        self.assertEqual(page(["a", "c", "d"], req(cursor=c)).objects, ["c", "d"])
        c = Position.key("bb").encode()
        self.assertEqual(page(keys, req(cursor=c)).objects, ["c", "d"])
        c = Position.prefix("b/").encode()
        self.assertEqual(page(["b", "b/1", "b/2", "b0", "c"], req("", "/", 0, c)).objects, ["b0", "c"])

    def test_prefix_cursor_without_successor(self):
        c = Position.prefix("\U0010ffff").encode()
        self.assertEqual(page(["a", "\U0010ffff/x"], req(cursor=c)), Page())


class NotNaive(unittest.TestCase):
    """A page reads about as many keys as it returns, whatever the bucket holds."""

    def setUp(self):
        self.keys = [f"{d}/{i:05}" for d in ("a", "b", "c") for i in range(10_000)] + ["z"]

    def test_pages_read_only_their_keys(self):
        src = CountingSeek(self.keys)
        r = req(max_keys=10)
        p = list_page(r, src, lambda k: k)
        self.assertEqual(p.objects, self.keys[:10])
        self.assertLessEqual(src.read, 11)
        src.read = 0
        p = list_page(req(max_keys=10, cursor=p.next_cursor), src, lambda k: k)
        self.assertEqual(p.objects, self.keys[10:20])
        self.assertLessEqual(src.read, 11)

    def test_prefix_starts_at_the_prefix(self):
        src = CountingSeek(self.keys)
        p = list_page(req("b/", max_keys=5), src, lambda k: k)
        self.assertEqual(p.objects, [f"b/{i:05}" for i in range(5)])
        self.assertLessEqual(src.read, 6)
        src.read = 0
        p = list_page(req("b/0999"), src, lambda k: k)
        self.assertEqual(len(p.objects), 10)
        self.assertIsNone(p.next_cursor)
        self.assertLessEqual(src.read, 11)

    def test_groups_are_skipped(self):
        src = CountingSeek(self.keys)
        p = list_page(req("", "/"), src, lambda k: k)
        self.assertEqual(p, Page(["z"], ["a/", "b/", "c/"], None))
        self.assertLessEqual(src.read, 4)
        self.assertEqual(src.seeks, 4)
        # resuming after a group does not read the group
        for cp, rest in (("a/", Page(["z"], ["b/", "c/"], None)), ("c/", Page(["z"], [], None))):
            src.read = 0
            c = Position.prefix(cp).encode()
            self.assertEqual(list_page(req("", "/", 0, c), src, lambda k: k), rest)
            self.assertLessEqual(src.read, len(rest.objects) + len(rest.common_prefixes))


class Successors(unittest.TestCase):
    def test_successors(self):
        self.assertEqual(prefix_successor("a/"), "a0")
        self.assertEqual(prefix_successor("ab"), "ac")
        self.assertEqual(prefix_successor("a\U0010ffff"), "b")
        self.assertEqual(prefix_successor("\ud7ff"), "\ue000")
        self.assertIsNone(prefix_successor("\U0010ffff"))
        self.assertIsNone(prefix_successor(""))


class SortedKeysTest(unittest.TestCase):
    def test_add_discard(self):
        s = SortedKeys(["b", "a", "b"])
        self.assertEqual(list(s), ["a", "b"])
        self.assertTrue(s.add("c"))
        self.assertFalse(s.add("a"))
        self.assertTrue(s.add("aa"))
        self.assertEqual(list(s), ["a", "aa", "b", "c"])
        self.assertTrue(s.discard("aa"))
        self.assertFalse(s.discard("aa"))
        self.assertFalse(s.discard("zz"))
        self.assertEqual(list(s), ["a", "b", "c"])
        self.assertIn("b", s)
        self.assertNotIn("bb", s)
        self.assertNotIn(1, s)
        self.assertEqual(len(s), 3)

    def test_seek_sees_changes(self):
        s = SortedKeys()
        seek = s.seek
        s.add("b")
        s.add("a")
        s.add("c")
        self.assertEqual(list(seek("b", True)), ["b", "c"])
        self.assertEqual(list(seek("b", False)), ["c"])
        self.assertEqual(list(seek("bb", True)), ["c"])
        self.assertEqual(list(seek("", True)), ["a", "b", "c"])
        s.discard("c")
        self.assertEqual(list(seek("b", False)), [])

    def test_seek_in_a_plain_list(self):
        seek = seek_in(["a", "b", "c"])
        self.assertEqual(list(seek("a", False)), ["b", "c"])


if __name__ == "__main__":
    unittest.main()
