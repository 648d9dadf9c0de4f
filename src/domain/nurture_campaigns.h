/*
 * nurture_campaigns: the rules of a nurture campaign as the portal edits
 * it — its fields, its steps (subject and body are mustache templates that
 * must compile, a delay in minutes), the names a step's templates use, and
 * the preview of a step for one lead (strict: a name the lead has no value
 * for is named, never sent as "{{name}}"). No HTTP, no database: pure
 * checks a handler calls before its store does anything.
 */
#ifndef MINICRM_NURTURE_CAMPAIGNS_H
#define MINICRM_NURTURE_CAMPAIGNS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define NURTURE_STEPS_MAX		100
#define NURTURE_SUBJECT_MAX		998	/* characters (RFC 5322's line) */
#define NURTURE_BODY_MAX		100000	/* characters */
#define NURTURE_DELAY_MAX		525600	/* minutes: a year */
#define NURTURE_NAME_MAX		200
#define NURTURE_DESCRIPTION_MAX		2000
#define NURTURE_FROM_NAME_MAX		200
#define NURTURE_EMAIL_MAX		254

/* Is s a step number, 1 to NURTURE_STEPS_MAX, in plain digits? */
bool	nurture_step_number_valid(const char *s);

/* A problem with one field of a form: its name and what to say. */
struct nurture_field_error {
	const char	*field;
	char		 message[400];
};

/* Set e to one error on field: the message, printf-style. */
void	nurture_field_error_set(struct nurture_field_error *e,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* What a step's form checked: the delay as a number, each bad field. */
struct nurture_step_check {
	long				 delay;
	size_t				 nerrors;
	struct nurture_field_error	 errors[3];
};

/*
 * Check a step's subject, body and delay (text as the form sent them;
 * NULL is empty): lengths in characters, a one-line subject, a delay of
 * 0 to NURTURE_DELAY_MAX minutes, and both templates compiling with the
 * mustache engine (a broken one is named with the parser's line and
 * column: "line 3, column 7: unclosed section 'offer'") and using no
 * partials or parents (an e-mail has none to include). Fills *out;
 * returns the number of bad fields (0: all good).
 */
size_t	nurture_step_check(const char *subject, const char *body,
	    const char *delay, struct nurture_step_check *out);

/* What a campaign's create form checked. */
struct nurture_campaign_check {
	size_t				 nerrors;
	struct nurture_field_error	 errors[5];
};

/*
 * Check a new campaign's fields: client given, name 1-200 characters,
 * from_email an address (something@domain, at most 254, no spaces),
 * from_name at most 200, description at most 2000. Returns the number of
 * bad fields.
 */
size_t	nurture_campaign_check(const char *client, const char *name,
	    const char *from_email, const char *from_name,
	    const char *description, struct nurture_campaign_check *out);

/*
 * The names a template looks up — variables, sections, inverted sections
 * — once each in order of first use, appended to out as "{{first_name}},
 * {{company}}". The template must have compiled. Returns how many.
 */
size_t	nurture_template_names(const char *src, struct buf *out);
/* The same for a step: its subject's names, then its body's not named
 * already (either may be NULL). */
size_t	nurture_step_names(const char *subject, const char *body,
	    struct buf *out);


#endif
