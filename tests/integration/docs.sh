# The documentation as a user meets it: the README is what its parts say, opens
# with the two commands, stays short (300 lines: reference material lives in
# docs/), every subcommand has --help and a man page that renders without
# warnings, every make target the README names exists, every relative link in
# README.md and docs/**/*.md reaches a file (and a heading, for #anchors), and
# nothing in the repository points at the team's shared folder outside it.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

ok "README.md is current (scripts/readme --check)" "$root/scripts/readme" --check
first_block=$(awk '/^```/{n++; next} n==1' "$root/README.md")
ok "the first code block has make lab" grep -q '^make lab ' <<<"$first_block"
ok "the first code block has make check" grep -q '^make check ' <<<"$first_block"
is "$(grep -c . <<<"$first_block")" 2 "and nothing else"
ok ".ci/run runs the README's test command" grep -q '^make check' "$root/.ci/run"
lines=$(wc -l <"$root/README.md")
cmp_ok "$lines" -le 300 "README.md is at most 300 lines ($lines)"

# Relative links: [text](path#anchor) and ![alt](path) outside code. An anchor
# must be a heading of the target, slugged as GitHub does (lowercase; drop what
# is not a letter, digit, space, '-' or '_'; spaces become '-'; repeats get -1, -2).
broken=$(python3 - "$root" <<'PY'
import os, re, sys
root = sys.argv[1]
def strip_code(text):
    text = re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)
# headings are read outside fenced blocks; a code span's text counts, its backticks do not
def heading_anchors(path):
    seen, out = {}, set()
    text = re.sub(r"^```.*?^```[^\n]*$", "", open(path, encoding="utf-8").read(), flags=re.S | re.M)
    for line in text.splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if not m:
            continue
        title = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", m.group(1))
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out
files = [os.path.join(root, "README.md")]
for d, _, names in os.walk(os.path.join(root, "docs")):
    if d == os.path.join(root, "docs", "readme"):
        continue  # the README's parts: their links are checked in README.md
    files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".md")]
for f in files:
    text = strip_code(open(f, encoding="utf-8").read())
    for target in re.findall(r"!?\[[^]]*\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto: are not ours to check here
        path, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        rel = os.path.relpath(f, root)
        if not dest.startswith(root + os.sep) or not os.path.isfile(dest):
            print("%s: %s: no such file in the repository" % (rel, target))
        elif anchor and dest.endswith(".md") and anchor not in heading_anchors(dest):
            print("%s: %s: no heading with that anchor" % (rel, target))
PY
)
is "$broken" "" "every relative link in README.md and docs/**/*.md resolves (file and #anchor)"

# Nothing tracked may point at the team's shared folder (a clone does not have it).
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	outside=$(git -C "$root" grep -n -F "../""shared" -- . || true)
	is "$outside" "" "no tracked file points at the shared folder outside the repository"
else # a tarball: every file but the build output
	outside=$(grep -rnF --exclude-dir=build "../""shared" "$root" || true)
	is "$outside" "" "no file in the tree points at the shared folder outside the repository"
fi

for cmd in $("$MQLB" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} /^$/{if (on) exit}'); do
	out=$("$MQLB" "$cmd" --help 2>&1)
	is "$?" 0 "mqlb $cmd --help exits 0"
	ok "mqlb $cmd --help says Usage" grep -q "Usage" <<<"$out"
	page="$root/docs/mqlb-$cmd.1"
	ok "docs/mqlb-$cmd.1 exists" test -s "$page"
done
if command -v groff >/dev/null; then
	for page in "$root"/docs/*.1; do
		warn=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1)
		is "$warn" "" "$(basename "$page") renders without groff warnings"
	done
else
	ok "groff is installed (scripts/install-deps installs groff-base)" false
fi
for target in lab check unit fuzz bench install readme format; do
	ok "make $target exists" bash -c "make -C \"$root\" -n $target >/dev/null 2>&1"
done
done_testing
