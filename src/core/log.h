/*
 * log: one line per message on standard error, with a timestamp, a level and
 * the program's name. Control characters in the formatted message are
 * escaped, so text that came from a request cannot forge log lines.
 * Never pass a secret (API key, password, token) to these functions.
 */
#ifndef MINICRM_LOG_H
#define MINICRM_LOG_H

void	log_init(const char *progname);
/* LOG_LEVEL's value: "debug", "info" (the default), "warn" or "error"
 * (the least level written). NULL: unchanged. -1 for another name. Call
 * before threads start. */
int	log_level_set(const char *name);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
