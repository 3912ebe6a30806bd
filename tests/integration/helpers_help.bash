# Read ward's help, for docs.bats and completion.bats: the format is in
# man/README.md. Load after helpers (it uses $WARD).

# The commands of `ward --help`, one a line.
help_commands() {
	"$WARD" --help | awk '/^Commands:$/ { f = 1; next } f && /^$/ { exit } f { print $1 }'
}

# "NAME [ARG]" for each option in section $1 ("Options:", "Global
# options:") of the help text on stdin ("  -x, --name ARG  text"), sorted.
help_options() {
	awk -v sec="$1" '
	$0 == sec { f = 1; next }
	f && /^$/ { exit }
	f && /^  -/ {
		spec = substr($0, 3); sub(/  .*/, "", spec)
		n = split(spec, parts, ", "); arg = ""
		for (i = 1; i <= n; i++)
			if ((j = index(parts[i], " ")) > 0) {
				arg = substr(parts[i], j + 1); parts[i] = substr(parts[i], 1, j - 1)
			}
		for (i = 1; i <= n; i++) print parts[i] (arg == "" ? "" : " " arg)
	}' | sort
}
