# bench/lib.sh — sourced by the benchmarks: a throw-away instance and the
# helpers they share.
#   bench_instance FIRST_PORT   start one (scripts/throwaway.sh); sets
#                               OWNER_URL, APP_URL, BASE
#   conf KEY                    a value of the instance's minicrm.conf
#   to_ms VALUE                 wrk's 812.00us / 1.23ms / 1.01s in ms
#   rss NAME                    resident MB of NAME's request process (the
#                               PID file names its supervisor, which holds
#                               the socket and little else)

conf() { sed -n "s/^$1='\(.*\)'$/\1/p" "$MINICRM_CONF"; }

bench_instance() {
	source "$top/scripts/throwaway.sh"
	throwaway_start "$1"
	throwaway_up
	OWNER_URL=$(conf DATABASE_URL)
	APP_URL=$(conf MINICRM_APP_DATABASE_URL)
	BASE=http://127.0.0.1:$MINICRM_PORT
}

to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
		else printf "%s", v }'
}

rss() {
	local pid child
	pid=$(cat "$MINICRM_VAR/run/$1.pid")
	child=$(pgrep -P "$pid" | head -n 1) || true
	[ -z "$child" ] || pid=$child
	awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"
}
