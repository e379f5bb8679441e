# The tree is formatted with the checked-in .clang-format (make format fixes it).
# One result per file, so a failure names the file to run make format on.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v clang-format >/dev/null || skip_all "clang-format not installed (scripts/install-deps installs it)"
cd "$root" || exit 1
for f in src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c bench/*.c; do
	ok "$f is formatted" clang-format --dry-run -Werror "$f"
done
done_testing
