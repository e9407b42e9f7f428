import unittest

from trove_driver import DriverError, translate
from trove_driver.errors import INVALID_ARGUMENT, TAGS, invalid_argument, precondition_failed


class Converted(Exception):
    def __init__(self, value):
        super().__init__(value)
        self.value = value


def to_err(e):
    return Converted((e.tag, e.message))


class Errors(unittest.TestCase):
    def test_shape(self):
        e = DriverError(INVALID_ARGUMENT, "no")
        self.assertEqual((e.tag, e.message), ("invalid-argument", "no"))
        self.assertEqual(str(e), "invalid argument: no")
        self.assertEqual(e, invalid_argument("no"))
        self.assertNotEqual(e, precondition_failed("no"))
        self.assertEqual(len(TAGS), 11)
        with self.assertRaises(ValueError):
            DriverError("not-a-tag", "x")

    def test_translate_function(self):
        @translate(to_err)
        def f(x):
            if x:
                raise invalid_argument("bad")
            return 7

        self.assertEqual(f(False), 7)
        self.assertEqual(f.__name__, "f")
        with self.assertRaises(Converted) as cm:
            f(True)
        self.assertEqual(cm.exception.value, ("invalid-argument", "bad"))
        self.assertIsNone(cm.exception.__cause__)

    def test_translate_class(self):
        class Base:
            def inherited(self):
                raise invalid_argument("inherited")

        @translate(to_err)
        class C(Base):
            def __init__(self):
                self.n = 1

            def public(self, tag):
                raise DriverError(tag, "public")

            def _private(self):
                raise invalid_argument("private")

            def other_error(self):
                raise KeyError("k")

        c = C()
        with self.assertRaises(Converted) as cm:
            c.public("bucket-not-found")
        self.assertEqual(cm.exception.value, ("bucket-not-found", "public"))
        with self.assertRaises(DriverError):
            c._private()
        with self.assertRaises(DriverError):
            c.inherited()  # not defined by C itself
        with self.assertRaises(KeyError):
            c.other_error()


if __name__ == "__main__":
    unittest.main()
