import unittest

from trove_driver import DriverError, check_get, check_put, matches
from trove_driver.errors import PRECONDITION_FAILED


class Matching(unittest.TestCase):
    def test_matches(self):
        self.assertTrue(matches("*", "abc"))
        self.assertTrue(matches("abc", "abc"))
        self.assertTrue(matches('"abc"', "abc"))
        self.assertTrue(matches('W/"abc"', "abc"))
        self.assertTrue(matches('x, "abc"', "abc"))
        self.assertTrue(matches(' "x" ,W/"abc" ', "abc"))
        self.assertTrue(matches("x, *", "abc"))
        self.assertFalse(matches("abd", "abc"))
        self.assertFalse(matches("", "abc"))
        self.assertFalse(matches('""', "abc"))
        self.assertFalse(matches('"', "abc"))
        self.assertFalse(matches("w/abc", "abc"))


class Checks(unittest.TestCase):
    def failed(self, fn, *args):
        with self.assertRaises(DriverError) as cm:
            fn(*args)
        self.assertEqual(cm.exception.tag, PRECONDITION_FAILED)
        return cm.exception.message

    def test_get(self):
        check_get(None, None, "e")
        check_get("e", None, "e")
        check_get("*", None, "e")
        self.failed(check_get, "f", None, "e")
        check_get(None, "f", "e")
        self.failed(check_get, None, "e", "e")
        self.failed(check_get, None, "*", "e")

    def test_put(self):
        check_put(None, None, None)
        check_put(None, None, "e")
        check_put(None, "*", None)
        self.failed(check_put, None, "*", "e")
        check_put("e", None, "e")
        self.failed(check_put, "f", None, "e")
        self.failed(check_put, "e", None, None)
        self.failed(check_put, "*", None, None)
        check_put("*", None, "e")
        check_put(None, "f", "e")
        self.failed(check_put, None, '"e"', "e")

    def test_messages_as_in_rust(self):
        self.assertEqual(
            self.failed(check_get, "f", None, "e"), 'if-match "f" does not match the current ETag e'
        )
        self.assertEqual(
            self.failed(check_get, None, "*", "e"), 'if-none-match "*" matches the current ETag e'
        )
        self.assertEqual(
            self.failed(check_put, None, " * ", "e"), 'if-none-match "*": the object already exists'
        )
        self.assertEqual(
            self.failed(check_put, None, '"e"', "e"),
            'if-none-match "\\"e\\"" matches the current ETag e',
        )
        self.assertEqual(
            self.failed(check_put, "e", None, None), 'if-match "e": the object does not exist'
        )


if __name__ == "__main__":
    unittest.main()
