# sop_sql.awk — the statements of a runbook (a markdown SOP), as an
# operator would paste them into psql: every ```sql block split into
# statements, and the `psql -c "…"` commands of the ```bash blocks.
#
#   awk -v out=DIR -f tests/sop_sql.awk docs/sop/de-enrollment-sop.md
#
# A ```bash block may also hold bare SQL, as the nurture runbook's Issue 5
# does ("Or run SQL directly:" and an INSERT): a line of a bash block that
# starts with SELECT, INSERT, UPDATE, DELETE or WITH starts a statement,
# which runs to the line ending in ';'.
#
# Writes DIR/NNN.sql, one statement each (text unchanged but for the
# block's indentation; comment-only lines dropped), and prints an index,
# one line per statement, in the SOP's order:
#   NNN <TAB> block <TAB> line <TAB> kind <TAB> first words
# kind: sql (a statement of a ```sql block), meta (a psql backslash
# command in a ```sql block), psql-c (the argument of psql -c in a ```bash
# block; `psql "<url>" -c "…"` too), bash-sql (bare SQL in a ```bash
# block). block numbers the ```sql blocks from 1 (0 for psql-c and
# bash-sql); the statements of one block are what an operator runs in one
# session.
function flush_stmt(kind,   f, first) {
	if (stmt == "") return
	n++
	f = sprintf("%s/%03d.sql", out, n)
	printf "%s\n", stmt > f
	close(f)
	first = stmt
	gsub(/[ \t\n]+/, " ", first)
	printf "%03d\t%d\t%d\t%s\t%s\n", n, (kind == "psql-c" || kind == "bash-sql" ? 0 : block), start, kind, substr(first, 1, 60)
	stmt = ""
}

BEGIN { if (out == "") { print "sop_sql.awk: set -v out=DIR" > "/dev/stderr"; exit 2 } }

/^[ \t]*```sql[ \t]*$/ { insql = 1; block++; indent = -1; next }
/^[ \t]*```bash[ \t]*$/ { inbash = 1; next }
/^[ \t]*```/ {
	if ((insql || inbash) && stmt != "") { print "sop_sql.awk: unterminated statement at line " start > "/dev/stderr"; exit 1 }
	insql = 0; inbash = 0; next
}

inbash && stmt != "" {
	stmt = stmt "\n" $0
	if ($0 ~ /;[ \t]*$/) flush_stmt("bash-sql")
	next
}

inbash && /^[ \t]*(SELECT|INSERT|UPDATE|DELETE|WITH)([ \t]|$)/ {
	start = NR; stmt = $0
	if ($0 ~ /;[ \t]*$/) flush_stmt("bash-sql")
	next
}

inbash && /(^|[ \t])psql([ \t]+"[^"]*")?[ \t]+-c "/ {
	line = $0
	sub(/.*[ \t]-c "/, "", line)
	sub(/".*/, "", line)
	start = NR; stmt = line
	flush_stmt("psql-c")
	next
}

insql {
	line = $0
	if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*--/) next
	if (indent < 0) { match(line, /^[ \t]*/); indent = RLENGTH }
	match(line, /^[ \t]*/)
	line = substr(line, (RLENGTH < indent ? RLENGTH : indent) + 1)
	if (stmt == "" && line ~ /^[ \t]*\\/) {
		sub(/^[ \t]*/, "", line)
		start = NR; stmt = line
		flush_stmt("meta")
		next
	}
	if (stmt == "") start = NR
	stmt = (stmt == "" ? line : stmt "\n" line)
	if (line ~ /;[ \t]*$/) flush_stmt("sql")
}
