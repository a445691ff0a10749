"""The reminder SMS speaks the customer's language since its template got a ``lang``; the template
is ``noupdate``, so databases created before keep an empty ``lang`` and send every SMS in the
company's language. Give it the language expression, unless an admin already set one."""

SMS_LANG = "{{ object.lang }}"


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE sms_template template
           SET lang = %s
          FROM ir_model_data data
         WHERE data.module = 'ar_collections'
           AND data.name = 'sms_template_dunning_reminder'
           AND data.model = 'sms.template'
           AND template.id = data.res_id
           AND COALESCE(template.lang, '') = ''
        """,
        (SMS_LANG,),
    )
