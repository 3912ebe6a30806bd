# Turns the TAP of one runtime-tools validation program into lines of the
# lane's TAP stream, numbered from `start`, each named "PROGRAM: CHECK".
#   awk -f tap.awk -v prog=P -v rc=STATUS -v start=N -v stderr=FILE \
#       -v countfile=FILE [-v strict=1] [-v verbose=1] \
#       EXPECTED-FAILURES PROGRAM-OUTPUT
# A failing check listed in EXPECTED-FAILURES (lines "program | check |
# reason", `*` in the check matching anything) becomes "ok ... # skip
# reason"; an entry whose check did not fail is a warning line ("ok ...
# # skip"), or a failure with strict=1, unless its reason starts "racy:".
# Passing checks, and those the suite skips itself (mostly "X not set"), are
# counted into the program's last line, unless verbose=1 prints each.
# That last line, "runs to completion", fails when the program
# exits non-zero, a stream's plan does not match its test points, or it
# reports an error outside any test point (the lifecycle programs' only way
# of failing: a YAML "error" block and the plan 1..0). The number after the
# last line written goes to `countfile`.

function glob_re(g, re, i, c) {
	re = "^"
	for (i = 1; i <= length(g); i++) {
		c = substr(g, i, 1)
		if (c == "*")
			re = re ".*"
		else if (index("\\^$.[]|()+?{}/", c))
			re = re "\\" c
		else
			re = re c
	}
	return re "$"
}

# The first expected-failures entry that matches failed check `desc`, or 0.
function listed(desc, i) {
	for (i = 1; i <= nexp; i++)
		if (desc ~ exp_re[i]) {
			exp_failed[i] = 1
			return i
		}
	return 0
}

# A listed failure that did not happen: the entry may be stale (the bug was
# fixed, the host changed), unless the check is racy by design.
function stale_entries(i) {
	for (i = 1; i <= nexp; i++) {
		if (exp_failed[i] || exp_reason[i] ~ /^racy:/)
			continue
		print (strict ? "not ok " : "ok ") n " - " prog ": WARNING: \"" exp_desc[i] "\" did not fail, but expected-failures.txt line " exp_line[i] " says it does here: stale entry?" (strict ? "" : " # skip stale expected-failures entry")
		n++
	}
}

function diag(text, cap, n, lines, i) {
	n = split(text, lines, "\n")
	for (i = 1; i <= n && i <= cap; i++)
		if (lines[i] != "")
			print "# " lines[i]
	if (n > cap)
		print "# ... (" n - cap " more lines)"
}

# Writes the check held back until now, with the lines around it as its
# diagnostics when it failed.
function flush(  name, e) {
	if (!held)
		return
	held = 0
	name = prog ": " (h_desc == "" ? "(unnamed check)" : h_desc)
	if (h_dir == "skip" && !verbose) {
		n_skipped++
		return
	} else if (h_dir == "skip") {
		# runtimetest's skips have no name, only a reason.
		print "ok " n " - " (h_desc == "" ? prog : name) " # skip " h_reason
	} else if (h_dir == "todo") {
		# A TODO check is runtime-tools' own known gap, not the runtime's.
		print "ok " n " - " name " # skip TODO in runtime-tools" (h_fail ? " (failed)" : "")
	} else if (h_fail && (e = listed(h_desc))) {
		print "ok " n " - " name " # skip " exp_reason[e]
	} else if (h_fail) {
		print "not ok " n " - " name
		diag(h_before, 30)
		diag(after, 30)
		show_stderr()
	} else if (!verbose) {
		n_passed++
		return
	} else {
		print "ok " n " - " name
	}
	n++
}

# The program's standard error (the runtime's messages), once: under its
# first failure.
function show_stderr(  text, l, m, lines, i) {
	if (stderr_shown++)
		return
	while ((getline l < stderr) > 0)
		text = text "\n" l
	close(stderr)
	if (text == "")
		return
	print "# its standard error:"
	m = split(text, lines, "\n")
	for (i = (m > 20 ? m - 19 : 2); i <= m; i++)
		print "#   " lines[i]
}

function section_end() {
	if (in_section && plan != "" && plan + 0 != points)
		problems = problems "\nits TAP plan 1.." plan " does not match the " points " test points reported"
	if (in_section && plan == "")
		problems = problems "\nits TAP stream has no plan (it stopped early?)"
	in_section = 0
}

FILENAME == ARGV[1] {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	split($0, f, / \| /)
	if (f[1] != prog)
		next
	nexp++
	exp_line[nexp] = FNR
	exp_desc[nexp] = f[2]
	exp_re[nexp] = glob_re(f[2])
	exp_reason[nexp] = substr($0, length(f[1]) + length(f[2]) + 7)
	next
}

BEGIN { n = start }

/^TAP version/ {
	flush()
	section_end()
	in_section = 1
	plan = ""
	points = 0
	yaml_since_point = 1
	after = ""
	next
}

/^1\.\.[0-9]+/ {
	flush()
	plan = substr($0, 4)
	next
}

/^(not )?ok( |$)/ {
	flush()
	held = 1
	points++
	yaml_since_point = 0
	h_fail = ($0 ~ /^not ok/)
	line = $0
	sub(/^(not )?ok */, "", line)
	sub(/^[0-9]+ */, "", line)
	sub(/^- */, "", line)
	h_dir = ""
	h_reason = ""
	low = tolower(line)
	if (match(low, / *# *skip/)) {
		h_dir = "skip"
		h_reason = substr(line, RSTART + RLENGTH)
		line = substr(line, 1, RSTART - 1)
	} else if (match(low, / *# *todo/)) {
		h_dir = "todo"
		line = substr(line, 1, RSTART - 1)
	}
	# SpecErrorOK's descriptions end with the spec reference: names stay
	# short, the reference is in the diagnostics.
	sub(/ Refer to: [^ ]*$/, "", line)
	sub(/^ +/, "", h_reason)
	if (h_reason == "")
		h_reason = "skipped by the test"
	h_desc = line
	h_before = after
	after = ""
	next
}

/^  ---$/ { in_yaml = 1; yaml = "" }
in_yaml {
	yaml = yaml "\n" $0
	after = after "\n" $0
	if ($0 ~ /^  \.\.\.$/) {
		in_yaml = 0
		# After a test point a YAML block is its diagnostic; one that
		# follows another block, or comes first, stands alone.
		if (yaml_since_point && yaml ~ /"error":/) {
			problems = problems "\nit reported an error outside any test point:"
			orphan = orphan yaml
		}
		yaml_since_point = 1
	}
	next
}

{ after = after "\n" $0 }

END {
	flush()
	section_end()
	if (rc == 124 || rc == 137)
		problems = problems "\nit was killed after its time limit (exit status " rc ")"
	else if (rc != 0)
		problems = problems "\nit exited with status " rc
	name = prog ": runs to completion"
	if (!verbose)
		name = name " (" n_passed + 0 (n_passed == 1 ? " check" : " checks") " passed" (n_skipped ? ", " n_skipped " skipped by the suite" : "") ")"
	if (problems == "") {
		print "ok " n " - " name
	} else if (e = listed("runs to completion")) {
		print "ok " n " - " name " # skip " exp_reason[e]
	} else {
		print "not ok " n " - " name
		diag(substr(problems, 2), 10)
		diag(orphan, 30)
		show_stderr()
	}
	n++
	stale_entries()
	print n > countfile
}
