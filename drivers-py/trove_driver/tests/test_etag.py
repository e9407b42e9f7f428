import unittest

from trove_driver import Hasher, etag_of


class Etags(unittest.TestCase):
    def test_incremental_equals_one_shot(self):
        data = bytes((i * 7 % 251) for i in range(100_000))
        h = Hasher()
        for i in range(0, len(data), 4093):
            h.update(data[i : i + 4093])
        self.assertEqual(len(h), len(data))
        self.assertEqual(h.finish(), etag_of(data))
        # finish does not end the hasher
        h.update(b"x")
        self.assertEqual(h.finish(), etag_of(data + b"x"))

    def test_shape(self):
        e = etag_of(b"")
        self.assertTrue(e.endswith("-b2b"))
        hexpart = e[: -len("-b2b")]
        self.assertEqual(len(hexpart), 32)
        self.assertTrue(all(c in "0123456789abcdef" for c in hexpart))
        self.assertEqual(Hasher().finish(), e)
        self.assertEqual(len(Hasher()), 0)
        self.assertNotEqual(etag_of(b"a"), etag_of(b"b"))
        self.assertNotEqual(etag_of(b"ab"), etag_of(b"ba"))

    def test_stable(self):
        # The ETag is part of what a driver stores: it changes only on purpose (the -b2b suffix came in session 8).
        self.assertEqual(etag_of(b"hello"), "46fb7408d4f285228f4af516ea25851b-b2b")
        h = Hasher()
        h.update(bytearray(b"hel"))
        h.update(memoryview(b"lo"))
        self.assertEqual(h.finish(), etag_of(b"hello"))


if __name__ == "__main__":
    unittest.main()
