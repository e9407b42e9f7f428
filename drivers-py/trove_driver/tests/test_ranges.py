import unittest

from trove_driver import DriverError, Resolved, Span, Suffix, resolve
from trove_driver.errors import INVALID_ARGUMENT

U64_MAX = 2**64 - 1


class Ranges(unittest.TestCase):
    def invalid(self, rng, size):
        with self.assertRaises(DriverError) as cm:
            resolve(rng, size)
        self.assertEqual(cm.exception.tag, INVALID_ARGUMENT)

    def test_whole(self):
        self.assertEqual(resolve(None, 10), (0, 10))
        self.assertEqual(resolve(None, 0), (0, 0))
        self.assertTrue(resolve(None, 10).is_whole(10))
        self.assertFalse(resolve(Span(1), 10).is_whole(10))
        self.assertIsInstance(resolve(None, 1), Resolved)

    def test_spans(self):
        self.assertEqual(resolve(Span(0, 4), 10), (0, 4))
        self.assertEqual(resolve(Span(2, 3), 10), (2, 3))
        self.assertEqual(resolve(Span(2, None), 10), (2, 8))
        self.assertEqual(resolve(Span(2), 10), (2, 8))
        self.assertEqual(resolve(Span(8, 100), 10), (8, 2))
        self.assertEqual(resolve(Span(9, U64_MAX), 10), (9, 1))
        self.assertEqual(resolve(Span(3, 0), 10), (3, 0))
        self.assertTrue(resolve(Span(0, None), 10).is_whole(10))
        self.invalid(Span(10, None), 10)
        self.invalid(Span(11, 1), 10)
        self.invalid(Span(U64_MAX, None), 10)

    def test_empty_object(self):
        self.assertEqual(resolve(Span(0, None), 0), (0, 0))
        self.assertEqual(resolve(Span(0, 5), 0), (0, 0))
        self.invalid(Span(1, None), 0)
        self.assertEqual(resolve(Suffix(5), 0), (0, 0))
        self.assertEqual(resolve(Suffix(0), 0), (0, 0))

    def test_suffixes(self):
        self.assertEqual(resolve(Suffix(3), 10), (7, 3))
        self.assertEqual(resolve(Suffix(10), 10), (0, 10))
        self.assertEqual(resolve(Suffix(11), 10), (0, 10))
        self.assertEqual(resolve(Suffix(U64_MAX), 10), (0, 10))
        self.invalid(Suffix(0), 10)

    def test_messages_as_in_rust(self):
        cases = [
            (Span(1), 0, "range offset 1 is past the end of an empty object"),
            (Span(10), 10, "range offset 10 is at or past the end of the object (10 bytes)"),
            (Suffix(0), 1, "a suffix range of 0 bytes selects nothing"),
        ]
        for rng, size, message in cases:
            with self.assertRaises(DriverError) as cm:
                resolve(rng, size)
            self.assertEqual(cm.exception.message, message)

    def test_not_a_range(self):
        with self.assertRaises(TypeError):
            resolve((0, 1), 10)


if __name__ == "__main__":
    unittest.main()
