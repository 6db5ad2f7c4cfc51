# a comment
load("@bazel_tools//tools/build_defs/repo:http.bzl", my_archive = "http_archive", "http_file")
GITHUB = "https://github.com/"  # trailing comment
V = '1.3' + ".1"
SPEC = dict(
    zlib = dict(
        version = V,
        sha256 = "9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23",
        urls = [GITHUB + "madler/zlib/archive/v{version}.tar.gz"],
        n = -3, t = True, f = False, z = None,
        raw = r'a\d', multi = """x
y""",
        use_category = ["dataplane_core"],
        cpe = "cpe:2.3:a:gnu:zlib:*",
        license = "Zlib",
    ),
    other = {'k': (1, 2,), "l": [1, 2][1], "urls": ["%s-%d%%" % (V, 3)]},
)
A = "t\tq\"\x41\101\u00e9\\"
B = b'x'
C = "{}-{}".format("a", 1) if V else [x for x in range(3) if x] + [lambda y: y[1:2:3]]
X = 0x1F + 0o17 + 0b101 + 1_000 - ~2 ** 3 // 4 % 5
X += 1

def repos(name, **kwargs):
    my_archive(
        name = name,
        urls = kwargs.get("urls", [Label("@foo//:bar")]),
        integrity = "sha384-" + "a" * 3,
        patches = ["//bazel:p.patch"],
        *args
    ); http_file(name = "f", urls = ["https://example.com/f"], sha256 = select({"//c": "x"}))

repos("n", urls = SPEC["zlib"]["urls"])
