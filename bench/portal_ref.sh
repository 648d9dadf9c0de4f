# bench/portal_ref.sh — sourced by bench/portal.sh: the statements the
# portal runs for each measured page, with the values it passes (see
# src/portal/portal_leads.c, src/portal/portal_timeline.c, src/domain/lead_filters.c), for
# pgbench_ref. Keep in step with those files: a renamed statement makes
# portal_sql fail loudly, a changed parameter list makes pgbench fail.
PAGE_ROWS=51	# VIEW_PAGE_ROWS + 1: one more row tells whether there is a next page

# Lead timeline: $1 lead, $2 type, $3 channel, $4 from, $5 to, $6 cursor, $7 rows.
ref_timeline_first() { pgbench_ref timeline-first timeline_older "$BIG_LEAD" NULL NULL NULL NULL NULL "$PAGE_ROWS"; }
# The last page is the oldest events: the newer-than statement without a cursor.
ref_timeline_last() { pgbench_ref timeline-last timeline_newer "$BIG_LEAD" NULL NULL NULL NULL NULL "$PAGE_ROWS"; }

# The leads search, default order (newest first): $1 LIKE pattern, $2 the
# phone-digits pattern or $1 again, $3 client, $4 status, $5 cursor, $6 rows.
like_pattern() { local q=${1//\\/\\\\}; q=${q//%/\\%}; q=${q//_/\\_}; printf '%%%s%%' "$q"; }
phone_pattern() {
	local d
	[[ $1 =~ ^[-0-9\ +().]+$ ]] || return 1
	d=${1//[^0-9]/}
	[ ${#d} -ge 3 ] || return 1
	printf '%%%s%%' "$d"
}
ref_search() {
	local name=$1 q=$2 like phone
	if [ -z "$q" ]; then
		pgbench_ref "$name" leads_created_desc NULL NULL NULL NULL NULL "$PAGE_ROWS"
		return
	fi
	like=$(like_pattern "$q")
	phone=$(phone_pattern "$q") || phone=$like
	pgbench_ref "$name" leads_created_desc "$like" "$phone" NULL NULL NULL "$PAGE_ROWS"
}
