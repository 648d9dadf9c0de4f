# mk/install.mk - make install / make uninstall (issue 14); the top-level
# Makefile includes it (-include mk/*.mk). docs/install.md walks an operator
# through it.
#
#   make install                 into /usr/local, as root: the files below,
#                                the `minicrm` system user, owners and modes
#   make install PREFIX=/usr     what a Debian package would do
#   make install DESTDIR=/tmp/x  staged: the same tree under /tmp/x, and no
#                                user, no chown (a package's postinst, or a
#                                real `make install`, does those)
#   make uninstall               the programs, data files, units and nginx
#                                snippets; never the config, the database,
#                                /var/lib/minicrm or the logs
#
# The layout (FHS; PREFIX=/usr/local unless given):
#   PREFIX/bin/minicrm                        the command line and the worker
#   PREFIX/lib/minicrm/{api,admin}.fcgi       the FastCGI programs
#   PREFIX/share/minicrm/{templates,static,sql}
#   PREFIX/share/minicrm/minicrm.conf.example
#   PREFIX/share/doc/minicrm/                 install.md, operations.md
#   PREFIX/lib/systemd/system/minicrm*        the units (dist/systemd/)
#   /etc/minicrm/minicrm.conf                 0640 root:minicrm, kept if there
#   /etc/nginx/sites-available/minicrm        the site, kept if there (the new
#                                             one beside it as minicrm.dpkg-dist)
#   /etc/nginx/snippets/minicrm-{log,errors}.conf
#   /var/lib/minicrm, /var/log/minicrm        0750 minicrm:minicrm
#
# The programs find templates and sql relative to themselves
# (PREFIX/lib/minicrm/../../share/minicrm, src/core/config.c), so PREFIX
# needs no rebuild; the config file comes from MINICRM_CONF (the units set
# it) or else /etc/minicrm/minicrm.conf. Unit files are written with
# PREFIX and SYSCONFDIR in their paths.

PREFIX         ?= /usr/local
SYSCONFDIR     ?= /etc
LOCALSTATEDIR  ?= /var
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MINICRM_USER   ?= minicrm
# nginx's workers connect to the FastCGI sockets as this group.
NGINX_GROUP    ?= www-data

INSTALL_BIN    = $(DESTDIR)$(PREFIX)/bin
INSTALL_LIB    = $(DESTDIR)$(PREFIX)/lib/minicrm
INSTALL_DATA   = $(DESTDIR)$(PREFIX)/share/minicrm
INSTALL_DOC    = $(DESTDIR)$(PREFIX)/share/doc/minicrm
INSTALL_UNITS  = $(DESTDIR)$(SYSTEMDUNITDIR)
INSTALL_ETC    = $(DESTDIR)$(SYSCONFDIR)/minicrm
INSTALL_NGINX  = $(DESTDIR)$(SYSCONFDIR)/nginx
INSTALL_STATE  = $(DESTDIR)$(LOCALSTATEDIR)/lib/minicrm
INSTALL_LOGS   = $(DESTDIR)$(LOCALSTATEDIR)/log/minicrm
UNITS          = $(wildcard dist/systemd/minicrm*)
# The files ship with the default paths; an install elsewhere rewrites them.
INSTALL_PATHS  = sed -e 's\#/usr/local/\#$(PREFIX)/\#g' \
                     -e 's\#/etc/minicrm/\#$(SYSCONFDIR)/minicrm/\#g' \
                     -e 's\#/var/lib/minicrm\#$(LOCALSTATEDIR)/lib/minicrm\#g' \
                     -e 's\#/var/log/minicrm\#$(LOCALSTATEDIR)/log/minicrm\#g' \
                     -e 's\#^SocketGroup=www-data\#SocketGroup=$(NGINX_GROUP)\#'

.PHONY: install install-user uninstall

install: all
	@set -e; \
	install -d -m 0755 $(INSTALL_BIN) $(INSTALL_LIB) $(INSTALL_DATA)/templates \
		$(INSTALL_DATA)/static $(INSTALL_DATA)/sql $(INSTALL_DOC) $(INSTALL_UNITS) \
		$(INSTALL_NGINX)/sites-available $(INSTALL_NGINX)/snippets; \
	install -d -m 0750 $(INSTALL_ETC) $(INSTALL_STATE) $(INSTALL_LOGS); \
	install -m 0755 bin/minicrm $(INSTALL_BIN)/minicrm; \
	install -m 0755 cgi-bin/api.fcgi cgi-bin/admin.fcgi $(INSTALL_LIB)/; \
	install -m 0644 templates/*.mustache $(INSTALL_DATA)/templates/; \
	install -m 0644 static/* $(INSTALL_DATA)/static/; \
	install -m 0644 sql/*.sql $(INSTALL_DATA)/sql/; \
	install -m 0644 docs/install.md docs/operations.md $(INSTALL_DOC)/; \
	$(INSTALL_PATHS) dist/minicrm.conf.example > $(INSTALL_DATA)/minicrm.conf.example; \
	chmod 0644 $(INSTALL_DATA)/minicrm.conf.example; \
	for u in $(UNITS); do \
		$(INSTALL_PATHS) $$u > $(INSTALL_UNITS)/$${u##*/}; \
		chmod 0644 $(INSTALL_UNITS)/$${u##*/}; \
	done; \
	install -m 0644 nginx/minicrm-log.conf nginx/minicrm-errors.conf $(INSTALL_NGINX)/snippets/; \
	site=$(INSTALL_NGINX)/sites-available/minicrm; \
	if [ -e $$site ]; then \
		$(INSTALL_PATHS) nginx/minicrm-site.conf > $$site.dpkg-dist; \
		echo "install: kept $$site; the new one is $$site.dpkg-dist"; \
	else \
		$(INSTALL_PATHS) nginx/minicrm-site.conf > $$site; \
	fi; \
	conf=$(INSTALL_ETC)/minicrm.conf; \
	if [ -e $$conf ]; then \
		echo "install: kept $$conf"; \
	else \
		(umask 077; $(INSTALL_PATHS) dist/minicrm.conf.example > $$conf); \
		chmod 0640 $$conf; \
		echo "install: wrote $$conf: set its database URLs (docs/install.md)"; \
	fi
	@if [ -n "$(DESTDIR)" ]; then \
		echo "install: staged in $(DESTDIR): no '$(MINICRM_USER)' user made and no owners set (root:$(MINICRM_USER) on $(SYSCONFDIR)/minicrm, $(MINICRM_USER) on the state and log folders: the package's postinst does that)"; \
	elif [ "$$(id -u)" -ne 0 ]; then \
		echo "install: not root: no '$(MINICRM_USER)' user made and no owners set; run make install as root for a service"; \
	else \
		$(MAKE) -s --no-print-directory install-user; \
	fi

# The system user the units run as, and the owners that let it read its
# config (not change it) and write its state and logs. Root, no DESTDIR.
install-user:
	@set -e; \
	if ! getent passwd $(MINICRM_USER) >/dev/null; then \
		if command -v adduser >/dev/null; then \
			adduser --system --group --quiet --home $(LOCALSTATEDIR)/lib/minicrm \
				--no-create-home --shell /usr/sbin/nologin $(MINICRM_USER); \
		else \
			useradd --system --user-group --home-dir $(LOCALSTATEDIR)/lib/minicrm \
				--no-create-home --shell /usr/sbin/nologin $(MINICRM_USER); \
		fi; \
		echo "install: made the system user $(MINICRM_USER)"; \
	fi; \
	chown root:$(MINICRM_USER) $(SYSCONFDIR)/minicrm $(SYSCONFDIR)/minicrm/minicrm.conf; \
	chmod 0750 $(SYSCONFDIR)/minicrm; chmod 0640 $(SYSCONFDIR)/minicrm/minicrm.conf; \
	chown $(MINICRM_USER):$(MINICRM_USER) $(LOCALSTATEDIR)/lib/minicrm $(LOCALSTATEDIR)/log/minicrm; \
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/minicrm
	rm -rf $(DESTDIR)$(PREFIX)/lib/minicrm $(DESTDIR)$(PREFIX)/share/minicrm \
		$(DESTDIR)$(PREFIX)/share/doc/minicrm
	rm -f $(addprefix $(INSTALL_UNITS)/,$(notdir $(UNITS)))
	rm -f $(INSTALL_NGINX)/snippets/minicrm-log.conf $(INSTALL_NGINX)/snippets/minicrm-errors.conf \
		$(INSTALL_NGINX)/sites-available/minicrm.dpkg-dist
	@echo "uninstall: kept $(SYSCONFDIR)/minicrm, $(SYSCONFDIR)/nginx/sites-available/minicrm," \
		"$(LOCALSTATEDIR)/lib/minicrm, $(LOCALSTATEDIR)/log/minicrm, the user $(MINICRM_USER) and the database"
