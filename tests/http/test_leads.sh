#!/usr/bin/env bash
# The leads search: finds a lead by each field a person searches by (name,
# e-mail, phone as typed or as digits, the caller's lead id), narrows by
# client and status, sorts by the column headers keeping the search, pages
# by keyset through every lead exactly once, escapes what leads hold, and
# shows an empty state.
source "$(dirname "$0")/lib.sh"

check "log in" login "leads-$$@example.com" "leads-password-$$"
C=lt$$
C2=lu$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Leads test'), ('$C2', 'Other client')" >/dev/null
cid() { sql "SELECT id FROM clients WHERE slug = '$1'"; }
CID=$(cid "$C")
CID2=$(cid "$C2")
sql "INSERT INTO leads (client_id, external_id, first_name, last_name, email, phone, status) VALUES
 ('$CID', 'recAnna$$', 'Annabel', 'Quist$$', 'annabel.q$$@example.org', '+1 (555) 014-$$', 'new'),
 ('$CID', 'recBoris$$', 'Boris', 'Xylo$$', 'boris$$@example.net', '+44 20 7946 $$', 'booked'),
 ('$CID2', 'recCarla$$', 'Carla', 'Xylo$$', 'carla$$@example.net', NULL, 'booked'),
 ('$CID', 'recXss$$', '<script>alert(1)</script>', '\"><img src=x onerror=alert(2)>', 'x$$@example.com', NULL, 'new')" >/dev/null
ANNA=$(sql "SELECT id FROM leads WHERE external_id = 'recAnna$$'")
BORIS=$(sql "SELECT id FROM leads WHERE external_id = 'recBoris$$'")
CARLA=$(sql "SELECT id FROM leads WHERE external_id = 'recCarla$$'")

# found PATH UUID...: the page lists exactly these leads (by their links).
found() {
	local path=$1 got want
	shift
	browse GET "$path"
	got=$(grep -o 'class="lead-link" href="/leads/[0-9a-f-]*"' <<<"$BODY" | sed 's/.*leads\///; s/"//' | sort | tr '\n' ' ')
	want=$( (($#)) && printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$STATUS" = 200 ] && [ "$got" = "$want" ]
}
check "by first name, any case" found "/leads?q=aNNabel&client=$C" "$ANNA"
check "by last name" found "/leads?q=quist$$" "$ANNA"
check "by full name" found "/leads?q=Annabel%20Quist$$" "$ANNA"
check "by e-mail" found "/leads?q=boris$$@example.net" "$BORIS"
check "by part of an e-mail" found "/leads?q=annabel.q$$@" "$ANNA"
check "by phone as stored" found "/leads?q=%2B1%20(555)%20014-$$" "$ANNA"
check "by phone digits alone" found "/leads?q=1555014$$" "$ANNA"
check "by phone written another way" found "/leads?q=555-014-$$" "$ANNA"
check "by the caller's lead id" found "/leads?q=recBoris$$" "$BORIS"
check "a name two leads share finds both clients' leads" found "/leads?q=xylo$$" "$BORIS" "$CARLA"
check "the client narrows" found "/leads?q=xylo$$&client=$C2" "$CARLA"
check "the status narrows" found "/leads?client=$C&status=booked" "$BORIS"
check "LIKE's wildcards are literal" found "/leads?q=%25$$%25" 
check "nothing found: no rows" found "/leads?q=nobody-$$-zz"
check "...and the empty state" grep -q '<p class="empty">No leads match' <<<"$BODY"
check "...with the search shown escaped" grep -q 'value="nobody-'$$'-zz"' <<<"$BODY"

browse GET "/leads?client=$C&q=$$"
expect_status 200 "a client's leads"
check "the table is there" grep -q '<table id="leads">' <<<"$BODY"
check "rows are lead rows" test "$(grep -c '<tr class="lead">' <<<"$BODY")" -eq 3
check "a lead shows its name, e-mail, phone and status" grep -q "<td class=\"email\">boris$$@example.net</td><td class=\"phone\">+44 20 7946 $$</td><td class=\"client\">$C</td><td class=\"status\">booked</td>" <<<"$BODY"
check "a name is escaped" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;' <<<"$BODY"
check "...and never raw" bash -c '! grep -q "<script>alert\|<img src=x" <<<"$0"' "$BODY"
check "the search is kept in the form" grep -q "name=\"q\" value=\"$$\"" <<<"$BODY"
check "the client is selected in its menu" grep -q "<option value=\"$C\" selected>" <<<"$BODY"
SORT=$(grep -o '<a class="sort" href="[^"]*">Name' <<<"$BODY" | sed 's/.*href="//; s/">.*//; s/&amp;/\&/g')
check "the name header keeps the search and client" bash -c '[[ "$0" == *"q='$$'"* && "$0" == *"client='$C'"* && "$0" == *"sort=name"* ]]' "$SORT"
browse GET "$SORT"
NAMES=$(grep -o 'class="lead-link" href="[^"]*">[^<]*' <<<"$BODY" | sed 's/.*">//')
check "sorted by name, A to Z" test "$(printf '%s\n' "$NAMES" | head -n 2 | tr '\n' '|')" = "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &amp;quot;&amp;gt;&amp;lt;img src=x onerror=alert(2)&amp;gt;|Annabel Quist$$|" -o "$(printf '%s\n' "$NAMES" | sed -n 2p)" = "Annabel Quist$$"
check "Annabel before Boris" test "$(printf '%s\n' "$NAMES" | grep -n "Boris\|Annabel" | cut -c1 | tr -d '\n')" = "23"
SORT=$(grep -o '<a class="sort" href="[^"]*">Name' <<<"$BODY" | sed 's/.*href="//; s/">.*//; s/&amp;/\&/g')
check "the sorted header now sorts the other way" bash -c '[[ "$0" == *"dir=desc"* ]]' "$SORT"
browse GET "$SORT"
check "Z to A: Boris before Annabel" test "$(grep -o 'class="lead-link" href="[^"]*">[^<]*' <<<"$BODY" | grep -n "Boris\|Annabel" | cut -c1 | tr -d '\n')" = "12"
browse GET "/leads?sort=nonsense"
expect_status 400 "an unknown sort is refused"
check "...beside the form" grep -q 'class="field-error">Sort by' <<<"$BODY"
browse GET "/leads?status=gone"
expect_status 400 "an unknown status is refused"

# Keyset pages: 130 leads of a fresh client, walked through "next".
P=lp$$
sql "INSERT INTO clients (slug, name) VALUES ('$P', 'Paging')" >/dev/null
PID_=$(cid "$P")
sql "INSERT INTO leads (client_id, external_id, first_name, last_name, email, created_at) SELECT '$PID_', 'page-' || g, 'P' || lpad(g::text, 3, '0'), 'Pager', 'p' || g || '@example.com', now() - g * interval '1 minute' FROM generate_series(1, 130) g" >/dev/null
walk() {
	local path=$1 pages=0
	: > "$TMP/walk"
	while [ -n "$path" ] && [ $pages -lt 10 ]; do
		browse GET "$path"
		[ "$STATUS" = 200 ] || return 1
		grep -o 'class="lead-link" href="/leads/[^"]*">[^<]*' <<<"$BODY" | sed 's/.*">//' >> "$TMP/walk"
		path=$(grep -o '<a rel="next" href="[^"]*"' <<<"$BODY" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g')
		pages=$((pages + 1))
	done
	echo $pages > "$TMP/pages"
}
for order in "sort=name&dir=asc" "sort=name&dir=desc" "sort=created&dir=desc" "sort=created&dir=asc" "sort=email&dir=asc"; do
	walk "/leads?client=$P&$order"
	check "$order: three pages" test "$(cat "$TMP/pages")" = 3
	check "$order: every lead once" test "$(sort -u "$TMP/walk" | wc -l)" = 130 -a "$(wc -l < "$TMP/walk")" = 130
	case $order in
	*name*asc|*created*desc) want=$(seq 1 130 | awk '{ printf "P%03d Pager\n", $1 }') ;;
	*name*desc|*created*asc) want=$(seq 130 -1 1 | awk '{ printf "P%03d Pager\n", $1 }') ;;
	*email*) want=$(seq 1 130 | awk '{ print "p" $1 "@example.com" }' | LC_ALL=C sort | sed 's/^p\([0-9]*\)@.*/\1/' | awk '{ printf "P%03d Pager\n", $1 }') ;;
	esac
	check "$order: in order" test "$(cat "$TMP/walk")" = "$want"
done
walk "/leads?client=$P&q=P12"
check "a search pages too: P12 and P120-P129" test "$(wc -l < "$TMP/walk")" = 11

# A viewer may search.
VIEWER=leads-viewer-$$@example.com
JAR=$TMP/viewer-cookies
check "a viewer logs in" login "$VIEWER" "viewer-password-$$" viewer
check "and finds a lead" found "/leads?q=recBoris$$" "$BORIS"

finish
