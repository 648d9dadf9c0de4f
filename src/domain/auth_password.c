/*
 * auth_password: argon2id password hashes (see auth.h), at most
 * PW_CONCURRENT of them computed at once in a process, and the decoy hash
 * that an unknown user's password is checked against. Nothing here
 * allocates for the caller; the decoy lives for the process.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "log.h"

#define PW_OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

/*
 * Each argon2id computation holds PW_MEMLIMIT (64 MiB) while it runs; with
 * 32 worker threads a burst of logins could ask for 2 GiB. At most this
 * many run at once in a process; the others wait their turn.
 */
#define PW_CONCURRENT	4

static pthread_mutex_t	pw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	pw_cond = PTHREAD_COND_INITIALIZER;
static int		pw_running;

/* A hash of a random password, to spend a real check's time on. */
static char		decoy_hash[AUTH_PWHASH_LEN];
static bool		decoy_ok;
static pthread_once_t	decoy_once = PTHREAD_ONCE_INIT;

static void
pw_enter(void)
{
	pthread_mutex_lock(&pw_lock);
	while (pw_running >= PW_CONCURRENT)
		pthread_cond_wait(&pw_cond, &pw_lock);
	pw_running++;
	pthread_mutex_unlock(&pw_lock);
}

static void
pw_leave(void)
{
	pthread_mutex_lock(&pw_lock);
	pw_running--;
	pthread_cond_signal(&pw_cond);
	pthread_mutex_unlock(&pw_lock);
}

int
auth_password_hash(const char *password, char out[AUTH_PWHASH_LEN])
{
	size_t	 len = strnlen(password, AUTH_PASSWORD_MAX + 1);
	int	 rc;

	if (len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX)
		return -1;
	if (sodium_init() < 0)
		return AUTH_ESYS;
	pw_enter();
	rc = crypto_pwhash_str_alg(out, password, len, PW_OPSLIMIT,
	    PW_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
	pw_leave();
	return rc == 0 ? 0 : AUTH_ESYS;
}

static void
decoy_init(void)
{
	char	 pw[33];

	if (auth_password_generate(pw, 32) == 0 &&
	    auth_password_hash(pw, decoy_hash) == 0)
		decoy_ok = true;
	sodium_memzero(pw, sizeof(pw));
}

/* An unknown user's check: the decoy's time, never a match. */
static bool
decoy_verify(const char *password, size_t len)
{
	pthread_once(&decoy_once, decoy_init);
	if (decoy_ok) {
		pw_enter();
		/* Its answer does not matter, only its time. */
		if (crypto_pwhash_str_verify(decoy_hash, password,
		    len > AUTH_PASSWORD_MAX ? 0 : len) == 0)
			log_warn("a random password matched");
		pw_leave();
	}
	return false;
}

bool
auth_password_verify(const char *stored_hash, const char *password)
{
	size_t	 len;
	int	 rc;

	if (password == NULL || sodium_init() < 0)
		return false;
	len = strnlen(password, AUTH_PASSWORD_MAX + 1);
	if (stored_hash == NULL)
		return decoy_verify(password, len);
	if (len > AUTH_PASSWORD_MAX ||
	    strnlen(stored_hash, AUTH_PWHASH_LEN) >= AUTH_PWHASH_LEN ||
	    strncmp(stored_hash, "$argon2id$", 10) != 0)
		return false;
	pw_enter();
	rc = crypto_pwhash_str_verify(stored_hash, password, len);
	pw_leave();
	return rc == 0;
}

bool
auth_password_needs_rehash(const char *stored_hash)
{
	return crypto_pwhash_str_needs_rehash(stored_hash, PW_OPSLIMIT,
	    PW_MEMLIMIT) != 0;
}

int
auth_password_generate(char *out, size_t len)
{
	unsigned char	 raw[96];
	char		 b64[sizeof(raw) * 4 / 3 + 4];

	/* 16 base64url characters are 96 bits. */
	if (len < 16 || len > sizeof(raw) * 4 / 3 || sodium_init() < 0)
		return AUTH_ESYS;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	memcpy(out, b64, len);
	out[len] = '\0';
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	return 0;
}
