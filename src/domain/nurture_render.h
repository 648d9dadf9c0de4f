/*
 * nurture_render: personalization — one nurture e-mail's subject and body
 * rendered from its campaign step's templates (nurture_campaign_steps
 * .subject, .body_template) with the mustache engine in strict mode,
 * just before the sender calls SendGrid (docs/nurture.md).
 *
 * The view: the lead's first_name, last_name, name, email, phone and
 * external_id, every key of leads.metadata (a column wins over a metadata
 * key of the same name), campaign_name and step_number.
 *
 * A name the lead has no value for — absent, null or empty — is not sent
 * as "{{company}}" nor as nothing: the render fails, naming the token
 * ("personalization: no value for {{company}}"), and the sender marks the
 * send failed with that reason. Sections still work as fallbacks:
 * "{{#company}}at {{company}}{{/company}}{{^company}}there{{/company}}"
 * renders for a lead without a company.
 *
 * Escaping: the body goes out as text/html, so {{name}} escapes HTML (the
 * engine's default: & < > " ') and {{{name}}} is never needed for lead
 * data. The subject is a plain-text header: the same template syntax, but
 * what the engine escaped is decoded again, so "Tom & Jerry" reads as
 * such in the inbox (a literal "&amp;" written in a subject template reads
 * "&" too).
 */
#ifndef MINICRM_NURTURE_RENDER_H
#define MINICRM_NURTURE_RENDER_H

#include <stddef.h>

#include <json-c/json.h>

/* What one send is rendered from; NULL fields are SQL NULL. */
struct nurture_render_input {
	const char	*first_name;
	const char	*last_name;
	const char	*name;
	const char	*email;
	const char	*phone;
	const char	*external_id;
	const char	*metadata_json;	/* leads.metadata as JSON text */
	const char	*campaign_name;
	long		 step_number;
	const char	*subject_template;
	const char	*body_template;
};

enum nurture_render_status {
	NURTURE_RENDER_OK,
	NURTURE_RENDER_MISSING,		/* a token without a value */
	NURTURE_RENDER_BAD_TEMPLATE,	/* the step's template is broken */
	NURTURE_RENDER_NOMEM
};

struct nurture_render_result {
	enum nurture_render_status	 status;
	char	*subject;	/* NUL-terminated, malloc'd; NULL unless OK */
	char	*body;		/* the HTML body; likewise */
	/* Unless OK: the failure_reason, e.g. "personalization: no value
	 * for {{company}}". */
	char	 reason[400];
	/* MISSING: the name ("company"); MISSING or BAD_TEMPLATE: where
	 * ("subject" or "body", line and column from 1), for the portal's
	 * preview to point at. */
	char	 missing[200];
	char	 where[8];
	unsigned line, column;
};

/*
 * The view in's templates are rendered against (see above); the caller
 * json_object_put()s it. NULL if memory ran out. The portal's preview
 * shows it.
 */
json_object	*nurture_render_view(const struct nurture_render_input *in);

/*
 * Render in's subject and body into *out. Returns out->status. The caller
 * releases out->subject and out->body with nurture_render_free (also
 * after a failure).
 */
enum nurture_render_status nurture_render(const struct nurture_render_input *in,
	    struct nurture_render_result *out);

/* Free what nurture_render allocated in *out (not out itself); NULL-safe. */
void	nurture_render_free(struct nurture_render_result *out);

#endif
