# throwaway.sh — sourced by scripts/test.sh and bench/ingest.sh: a
# throw-away instance in a fresh folder on a free port, removed on exit.
#   throwaway_start FIRST_PORT   sets and exports MINICRM_VAR, MINICRM_PORT,
#                                MINICRM_CONF; starts nothing yet
#   throwaway_up                 scripts/instance.sh up, quietly (log on failure)

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 900))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

throwaway_cleanup() {
	"$top/scripts/instance.sh" down >/dev/null 2>&1 || true
	[ -L "$MINICRM_VAR/pg" ] && rm -rf "$(readlink "$MINICRM_VAR/pg")"
	rm -rf "$MINICRM_VAR"
}

throwaway_start() {
	MINICRM_VAR=$(mktemp -d /tmp/minicrm-throwaway.XXXXXX)
	MINICRM_PORT=$(free_port "$1")
	MINICRM_CONF=$MINICRM_VAR/minicrm.conf
	export MINICRM_VAR MINICRM_PORT MINICRM_CONF
	trap throwaway_cleanup EXIT
}

throwaway_up() {
	"$top/scripts/instance.sh" up > "$MINICRM_VAR/up.log" 2>&1 || {
		cat "$MINICRM_VAR/up.log"
		return 1
	}
}
