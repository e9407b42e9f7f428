import unittest

from trove_driver import DriverError, validate_bucket, validate_key
from trove_driver.errors import INVALID_ARGUMENT


class Buckets(unittest.TestCase):
    def test_valid(self):
        for ok in ["a", "abc", "my-bucket.v2_x", "0", "a.", "a" * 63]:
            validate_bucket(ok)

    def test_invalid(self):
        for bad in ["", ".a", "A", "a b", "a/b", "ä", "a\0", "a" * 64]:
            with self.assertRaises(DriverError, msg=repr(bad)) as cm:
                validate_bucket(bad)
            self.assertEqual(cm.exception.tag, INVALID_ARGUMENT)

    def test_messages_as_in_rust(self):
        cases = {
            "": "bucket name is empty",
            "My": "bucket name \"My\" contains 'M'; allowed are a-z, 0-9, '.', '_' and '-'",
            "a\0": "bucket name \"a\\0\" contains '\\0'; allowed are a-z, 0-9, '.', '_' and '-'",
            "a" * 64: "bucket name is 64 characters long, the limit is 63",
            ".a": "bucket name \".a\" starts with '.'",
        }
        for name, message in cases.items():
            with self.assertRaises(DriverError) as cm:
                validate_bucket(name)
            self.assertEqual(cm.exception.message, message)


class Keys(unittest.TestCase):
    def test_valid(self):
        for ok in ["a", "a/b/c", "/x", "ünï", " ", "k" * 1024, "é" * 512, "\U0010ffff" * 256]:
            validate_key(ok)

    def test_invalid(self):
        for bad in ["", "a\0b", "k" * 1025, "é" * 513, "\U0010ffff" * 257, "a\ud800"]:
            with self.assertRaises(DriverError, msg=repr(bad)) as cm:
                validate_key(bad)
            self.assertEqual(cm.exception.tag, INVALID_ARGUMENT)

    def test_messages_as_in_rust(self):
        cases = {
            "": "key is empty",
            "é" * 513: "key is 1026 bytes long, the limit is 1024",
            "a\0b": "key contains a NUL character",
        }
        for key, message in cases.items():
            with self.assertRaises(DriverError) as cm:
                validate_key(key)
            self.assertEqual(cm.exception.message, message)


if __name__ == "__main__":
    unittest.main()
