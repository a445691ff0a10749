import base64
import binascii
import csv
import io
import math
import re
from collections import defaultdict
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.mimetypes import guess_mimetype

from ..tools import cash_matching

# Remittance files are a few hundred lines; beyond this it is not a remittance advice.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Errors listed in the message; the rest are counted.
MAX_ERRORS_SHOWN = 20
# Above this a remittance amount is a typo (or an attack on the numeric columns).
MAX_AMOUNT = 1e12
# Longer cells are not references, invoice numbers or amounts.
MAX_CELL_LENGTH = 256
# Remittance dates further than this from today are typos (year 2502, 1925, 9999-12-31).
MAX_DATE_DAYS_AHEAD = 366
MAX_DATE_YEARS_BACK = 10

DELIMITERS = (",", ";", "\t")
# Spreadsheets are read by Odoo's import (base_import): its mimetypes and file extensions.
SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}

# Column -> accepted header names (compared lower-case, non-alphanumerics as "_").
COLUMNS = {
    "payment_reference": ("payment_reference", "payment_ref", "reference", "payment", "payment_id",
                          "remittance", "remittance_reference"),
    "invoice": ("invoice", "invoice_number", "invoice_no", "invoice_ref", "invoice_reference", "document"),
    "amount": ("amount", "amount_paid", "paid", "paid_amount", "payment_amount"),
    "partner": ("partner", "customer", "payer", "vat", "customer_vat"),
    "date": ("date", "payment_date", "value_date"),
    "currency": ("currency", "currency_code"),
}
REQUIRED_COLUMNS = ("payment_reference", "invoice", "amount")

# Digits only in [0-9]: Python's \d also accepts other scripts' digits.
PLAIN_RE = re.compile(r"[0-9]+")
ONE_SEPARATOR_RE = re.compile(r"([0-9]+)([.,])([0-9]+)")
GROUPED_INT_RE = re.compile(r"[1-9][0-9]{0,2}(?:([.,])[0-9]{3})(?:\1[0-9]{3})+")
GROUPED_COMMA_DOT_RE = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+\.([0-9]+)")
GROUPED_DOT_COMMA_RE = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+,([0-9]+)")
SPACE_GROUPED_RE = re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{3})+(?:[.,][0-9]+)?")
# Spaces used as thousands separators: no-break, narrow no-break, thin, apostrophe (Swiss).
GROUP_SPACES_RE = re.compile(r"[\u00a0\u202f\u2009']")
# What an invoice number written in the file may be, besides one invoice of the company.
AMBIGUOUS = object()
OTHER_COMPANY = object()

HEADER_RE = re.compile(r"[^0-9a-z]+")
SEPARATORS_RE = re.compile(r"[.,]")
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# 10^12 - 1: a trillion is not a remittance
MAX_INTEGER_DIGITS = 12


class ArRemittanceImport(models.TransientModel):
    """Import customers' remittance advices from a spreadsheet (XLSX, XLS, ODS: read by Odoo's
    own import, ``base_import``) or a CSV file: one advice per payment reference, with the
    invoices it pays and how much of each.

    All or nothing: every wrong row is reported at once, with its row number, and nothing is
    imported until the file is right.
    """

    _name = "ar.remittance.import"
    _description = "Import remittance advices"

    company_id = fields.Many2one("res.company", required=True, readonly=True,
                                 default=lambda self: self.env.company)
    file = fields.Binary(required=True, attachment=False,
                         help="XLSX, XLS, ODS or CSV (UTF-8) with the columns payment_reference, invoice, amount.")
    file_name = fields.Char()

    def action_import(self):
        """Check the whole file, create the remittance advices, and have the matcher look at
        the bank lines waiting in the exceptions queue again."""
        self.ensure_one()
        remittances = self._ar_create_remittances(self._ar_parse(*self._ar_read_table()))
        self._ar_requeue_bank_lines()
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections_cash.action_ar_remittance")
        action.update({
            "domain": [("id", "in", remittances.ids)],
            "context": {"create": False},
            "name": self.env._("Imported remittance advices"),
        })
        return action

    # ------------------------------------------------------------------
    # Amounts
    # ------------------------------------------------------------------
    @api.model
    def _ar_parse_amount(self, text, decimal_places=2):
        """The positive amount written in ``text``, with either decimal separator.

        Accepted: ``1234.56``, ``1,234.56``, ``1234,56``, ``1.234,56``, ``1 234,56``, ``1234``.
        Refused with a :class:`ValueError` saying why: empty, not a number (``nan``, ``inf``, ``1e5``,
        ``12 EUR``), ambiguous (``1,234``: one thousand or one point two?), zero, negative, more
        decimals than the currency has, absurdly large.
        """
        raw = (text or "").strip()
        shown = raw[:40]
        if not raw:
            raise ValueError(self.env._("is empty"))
        negative = raw.startswith("-")
        value = raw[1:].strip() if raw[:1] in "+-" else raw
        value = GROUP_SPACES_RE.sub(" ", value)
        if SPACE_GROUPED_RE.fullmatch(value):
            value = value.replace(" ", "")
        decimals = ""
        if PLAIN_RE.fullmatch(value):
            integer = value
        elif match := ONE_SEPARATOR_RE.fullmatch(value):
            integer, _separator, decimals = match.groups()
            # "1,234" / "1.234": a thousands separator or a decimal one, nobody can tell
            if len(decimals) == 3 and integer[:1] != "0" and len(integer) <= 3:
                # no f-string inside _(): Babel's extractor fails on it and loses the file's terms
                thousands, decimal = f"{integer}{decimals}.00", f"{integer}.{decimals}"
                raise ValueError(self.env._(
                    "%(amount)r is ambiguous: write %(thousands)s for thousands or %(decimal)s",
                    amount=shown, thousands=thousands, decimal=decimal))
        elif GROUPED_INT_RE.fullmatch(value):
            integer = SEPARATORS_RE.sub("", value)
        elif match := (GROUPED_COMMA_DOT_RE.fullmatch(value) or GROUPED_DOT_COMMA_RE.fullmatch(value)):
            decimals = match.group(1)
            integer = SEPARATORS_RE.sub("", value[: -len(decimals) - 1])
        else:
            raise ValueError(self.env._("%(amount)r must be a number, such as 1234.56 or 1.234,56", amount=shown))
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ValueError(self.env._("%(amount)r is too large for a payment", amount=shown))
        amount = float(f"{integer}.{decimals or '0'}")
        if negative and amount:
            raise ValueError(self.env._("%(amount)r is negative: list what the payment pays, not credit notes",
                                        amount=shown))
        if not amount:
            raise ValueError(self.env._("%(amount)r is zero: leave out what the payment does not pay", amount=shown))
        if not math.isfinite(amount) or amount >= MAX_AMOUNT:
            raise ValueError(self.env._("%(amount)r is too large for a payment", amount=shown))
        if len(decimals.rstrip("0")) > decimal_places:
            raise ValueError(self.env._("%(amount)r has more than %(places)s decimals", amount=shown,
                                        places=decimal_places))
        return amount

    # ------------------------------------------------------------------
    # Reading the file
    # ------------------------------------------------------------------
    def _ar_read_table(self):
        """The file's rows: ([(row number, cells)] starting with the header, [(row number, error)]).

        Spreadsheets are read by Odoo's import (``base_import.import._read_file``). CSV keeps a
        strict reader of its own: base_import's guesses the encoding (a UTF-16 or Latin-1 file
        would be read silently), tolerates a quote that never closes (the rest of the file read
        as one cell) and drops blank lines, so its row numbers would not be the file's lines.
        """
        data = self._ar_read_data()
        mimetype = guess_mimetype(data)
        extension = ((self.file_name or "").rpartition(".")[2]).lower()
        if mimetype in SPREADSHEET_TYPES or (extension in ("xlsx", "xls", "ods") and not mimetype.startswith("text/")):
            return self._ar_read_spreadsheet(data, mimetype), []
        return self._ar_read_csv(self._ar_decode_text(data))

    def _ar_read_spreadsheet(self, data, mimetype):
        """[(row number, cells)] of the first sheet, as Odoo's import reads it (blank rows left out)."""
        importer = self.env["base_import.import"].create({
            "res_model": "ar.remittance", "file": data, "file_name": self.file_name or "remittances",
            "file_type": mimetype})
        try:
            _length, rows = importer._read_file({"quoting": '"', "separator": ",", "has_headers": True})
        except UserError:
            raise
        # any failure of a spreadsheet reader means the file cannot be read
        except Exception as error:  # pylint: disable=broad-except
            raise UserError(self.env._("%(file)s could not be read as a spreadsheet (%(error)s).",
                                       file=self.file_name or self.env._("The file"), error=error)) from None
        table = [(number, [str(cell) for cell in cells]) for number, cells in enumerate(rows, start=1)]
        if not table:
            raise UserError(self.env._("The file is empty."))
        return table

    def _ar_read_data(self):
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        # base64 grows by a third: refuse a huge upload before decoding it
        if len(self.file) > MAX_FILE_BYTES * 4 // 3 + 4:
            raise UserError(self._ar_too_large())
        try:
            data = base64.b64decode(self.file, validate=True)
        except (binascii.Error, ValueError):
            raise UserError(self.env._("The file could not be read: upload it again.")) from None
        if len(data) > MAX_FILE_BYTES:
            raise UserError(self._ar_too_large())
        return data

    def _ar_decode_text(self, data):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            raise UserError(self.env._(
                "%(file)s is not a text file in UTF-8: save the remittance advice as XLSX or as CSV (UTF-8) and import it again.",
                file=self.file_name or self.env._("The file")))
        if not text.strip():
            raise UserError(self.env._("The file is empty."))
        return text

    def _ar_too_large(self):
        return self.env._("The file is larger than %(size)s MB: a remittance file is a few hundred lines. "
                          "Split it, or check it is the right file.", size=MAX_FILE_BYTES // (1024 * 1024))

    @api.model
    def _ar_header_columns(self, header):
        """{column: index} for the known columns of ``header``."""
        found = {}
        for index, name in enumerate(header):
            key = HEADER_RE.sub("_", (name or "").strip().lower()).strip("_")
            for column, aliases in COLUMNS.items():
                if key in aliases and column not in found:
                    found[column] = index
        return found

    @api.model
    def _ar_sniff(self, header_line):
        """(delimiter, header, {column: index}): the delimiter recognising the most columns."""
        best = None
        for delimiter in DELIMITERS:
            try:
                header = next(csv.reader([header_line], delimiter=delimiter), [])
            except csv.Error:
                header = []
            columns = self._ar_header_columns(header)
            score = (sum(c in columns for c in REQUIRED_COLUMNS), len(columns))
            if best is None or score > best[0]:
                best = (score, delimiter, header, columns)
        return best[1], best[2], best[3]

    def _ar_read_csv(self, text):
        """(table, errors) of CSV ``text``, as :meth:`_ar_read_table` returns them."""
        # the line breaks the csv module counts (str.splitlines knows more)
        lines = LINE_BREAK_RE.split(text)
        header_index = next(index for index, line in enumerate(lines) if line.strip())
        delimiter, header, _columns = self._ar_sniff(lines[header_index])
        table, errors = [(header_index + 1, header)], []
        # strict: a quoted cell that never closes (or garbage after its closing quote) is an error
        # of the file, whatever csv.field_size_limit the process has (odoo-bin raises it to 500 MB,
        # so the rest of the file would otherwise be read as one cell)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            for cells in reader:
                if reader.line_num > header_index + 1:
                    table.append((reader.line_num, cells))
        except csv.Error as exc:
            errors.append((reader.line_num, self.env._("the CSV cannot be read (%(error)s).", error=exc)))
        return table, errors

    def _ar_parse(self, table, errors):
        """Rows of the file as dicts with their row number; raise one error listing every wrong row.

        :param table: [(row number, cells)], the header first
        :param errors: [(row number, message)] of reading the file, reported with the others
        """
        header_row, header = table[0]
        columns = self._ar_header_columns(header)
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise UserError(self.env._(
                "Row %(row)s: the file has no column %(missing)s. Its header is: %(header)s. Expected columns: "
                "payment_reference, invoice, amount, and optionally partner, date, currency.",
                row=header_row, missing=", ".join(missing),
                header=" | ".join(h[:40] for h in header[:12]) or "-"))
        rows, errors = [], list(errors)
        for row_number, cells in table[1:]:
            if not any(cell.strip() for cell in cells):
                continue
            row = {"row": row_number}
            for column, index in columns.items():
                row[column] = cells[index].strip() if index < len(cells) else ""
            too_long = [c for c in columns if len(row[c]) > MAX_CELL_LENGTH]
            if too_long:
                errors.append((row["row"], self.env._("%(columns)s longer than %(max)s characters.",
                                                      columns=", ".join(too_long), max=MAX_CELL_LENGTH)))
                continue
            rows.append(row)
        if not rows and not errors:
            raise UserError(self.env._("The file has a header but no rows."))
        self._ar_check_rows(rows, errors)
        if errors:
            self._ar_raise(errors)
        return rows

    # ------------------------------------------------------------------
    # Checking the rows
    # ------------------------------------------------------------------
    def _ar_check_rows(self, rows, errors):
        """Resolve invoices, amounts, customers, currencies and dates of ``rows`` in place;
        append (row number, message) to ``errors`` for everything wrong."""
        company = self.company_id
        invoices = self._ar_find_invoices({row["invoice"] for row in rows if row["invoice"]})
        currencies = self._ar_find_currencies({row.get("currency", "") for row in rows} - {""})
        today = fields.Date.context_today(self)
        earliest = date(today.year - MAX_DATE_YEARS_BACK, 1, 1)
        latest = today + timedelta(days=MAX_DATE_DAYS_AHEAD)
        for row in rows:
            line_no = row["row"]
            if not cash_matching.normalize(row["payment_reference"]):
                errors.append((line_no, self.env._("the payment reference is empty.") if not row["payment_reference"]
                               else self.env._("the payment reference %(ref)r has no letter or digit.",
                                               ref=row["payment_reference"])))
            move = None
            if not row["invoice"]:
                errors.append((line_no, self.env._("the invoice number is empty.")))
            else:
                found = invoices.get(row["invoice"])
                if not found:
                    errors.append((line_no, self.env._(
                        "invoice %(invoice)s not found among the posted customer invoices of %(company)s.",
                        invoice=row["invoice"], company=company.name)))
                elif found is OTHER_COMPANY:
                    errors.append((line_no, self.env._(
                        "invoice %(invoice)s is not an invoice of %(company)s.",
                        invoice=row["invoice"], company=company.name)))
                elif found is AMBIGUOUS:
                    errors.append((line_no, self.env._(
                        "%(invoice)s matches several invoices: write the invoice number exactly.",
                        invoice=row["invoice"])))
                else:
                    move = found
            row["move"] = move
            currency = None
            if row.get("currency"):
                currency = currencies.get(row["currency"].upper())
                if not currency:
                    errors.append((line_no, self.env._("unknown currency %(currency)r: use an ISO code such as EUR.",
                                                       currency=row["currency"][:20])))
                elif move and move.currency_id != currency:
                    errors.append((line_no, self.env._(
                        "the currency %(currency)s is not the currency of invoice %(invoice)s (%(invoice_currency)s).",
                        currency=currency.name, invoice=move.name, invoice_currency=move.currency_id.name)))
            row["currency_rec"] = currency
            amount_currency = (move and move.currency_id) or currency or company.currency_id
            try:
                row["amount_value"] = self._ar_parse_amount(row["amount"], amount_currency.decimal_places)
            except ValueError as exc:
                row["amount_value"] = None
                errors.append((line_no, self.env._("amount %(reason)s.", reason=str(exc))))
            row["date_value"] = None
            if row.get("date"):
                try:
                    row["date_value"] = date.fromisoformat(row["date"])
                except ValueError:
                    errors.append((line_no, self.env._("date %(date)r is not a date like 2025-01-31.",
                                                       date=row["date"][:40])))
                else:
                    if not earliest <= row["date_value"] <= latest:
                        errors.append((line_no, self.env._(
                            "date %(date)s is out of range (%(earliest)s to %(latest)s).", date=row["date"],
                            earliest=earliest.isoformat(), latest=latest.isoformat())))
            if row.get("partner") and move:
                customer = move.commercial_partner_id
                if not self._ar_partner_matches(customer, row["partner"]):
                    errors.append((line_no, self.env._(
                        "%(partner)s is not the customer of invoice %(invoice)s (%(customer)s).",
                        partner=row["partner"], invoice=move.name, customer=customer.display_name)))
        self._ar_check_groups(rows, errors)

    def _ar_check_groups(self, rows, errors):
        """Checks across the rows of one payment: one customer, one currency, each invoice once,
        the reference not imported already."""
        groups = self._ar_groups(rows)
        open_refs = self._ar_open_references()
        for key, group in groups.items():
            first = group[0]["row"]
            ref = group[0]["payment_reference"]
            moves = [row["move"] for row in group if row["move"]]
            customers = {move.commercial_partner_id for move in moves}
            if len(customers) > 1:
                errors.append((first, self.env._(
                    "payment %(ref)s (rows %(rows)s) pays invoices of several customers (%(customers)s): "
                    "one remittance advice is one customer's payment.",
                    ref=ref, rows=", ".join(str(row["row"]) for row in group),
                    customers=", ".join(sorted(c.display_name for c in customers)))))
            currencies = {move.currency_id for move in moves} | {row["currency_rec"] for row in group
                                                                  if row["currency_rec"]}
            if len(currencies) > 1:
                errors.append((first, self.env._(
                    "payment %(ref)s (rows %(rows)s) mixes currencies (%(currencies)s).",
                    ref=ref, rows=", ".join(str(row["row"]) for row in group),
                    currencies=", ".join(sorted(c.name for c in currencies)))))
            seen = {}
            for row in group:
                if row["move"] and row["move"].id in seen:
                    errors.append((row["row"], self.env._(
                        "invoice %(invoice)s is already listed for payment %(ref)s on row %(row)s.",
                        invoice=row["move"].name, ref=ref, row=seen[row["move"].id])))
                elif row["move"]:
                    seen[row["move"].id] = row["row"]
            if key in open_refs:
                errors.append((first, self.env._(
                    "payment %(ref)s was already imported (%(existing)s) and is still waiting for its payment: "
                    "cancel that advice first to import it again.", ref=ref, existing=open_refs[key])))

    @api.model
    def _ar_groups(self, rows):
        """Rows by payment reference (normalized: ``PAY-001`` and ``pay 001`` are one payment)."""
        groups = defaultdict(list)
        for row in rows:
            key = cash_matching.normalize(row["payment_reference"])
            if key:
                groups[key].append(row)
        return groups

    def _ar_open_references(self):
        """{normalized reference: reference} of the company's advices still waiting for their payment."""
        # sudo: the advices are checked whoever imported them
        remittances = self.env["ar.remittance"].sudo().search_fetch(
            [("company_id", "=", self.company_id.id), ("state", "=", "open")], ["name"])
        return {cash_matching.normalize(r.name): r.name for r in remittances}

    def _ar_find_invoices(self, names):
        """{name as written: invoice | AMBIGUOUS | OTHER_COMPANY | None}.

        Compared upper-case without spaces or punctuation (``inv 2025/0001`` is ``INV/2025/0001``),
        on the invoice number, else on its payment reference.
        """
        keys = {name: cash_matching.normalize(name) for name in names}
        wanted = sorted(set(keys.values()) - {""})
        result = dict.fromkeys(names)
        if not wanted:
            return result
        Move = self.env["account.move"]
        Move.flush_model(["name", "payment_reference", "company_id", "move_type", "state"])
        hits = defaultdict(list)
        for column in ("name", "payment_reference"):
            # The normalized comparison is not expressible in a domain; in every company, to tell
            # "another company's invoice" from "no such invoice". Ids are browsed with access rights.
            self.env.cr.execute(SQL("""
                SELECT regexp_replace(upper(%(column)s), '[^0-9A-Z]+', '', 'g'), id, company_id
                  FROM account_move
                 WHERE move_type = 'out_invoice' AND state = 'posted'
                   AND regexp_replace(upper(%(column)s), '[^0-9A-Z]+', '', 'g') = ANY(%(keys)s)
                 ORDER BY id
            """, column=SQL.identifier(column), keys=wanted))
            for key, move_id, company_id in self.env.cr.fetchall():
                hits[column, key].append((move_id, company_id))
            # the payment reference only for what no invoice number matched
            wanted = [key for key in wanted if (column, key) not in hits]
            if not wanted:
                break
        for name, key in keys.items():
            found = hits.get(("name", key)) or hits.get(("payment_reference", key)) or []
            own = [move_id for move_id, company_id in found if company_id == self.company_id.id]
            if len(own) == 1:
                result[name] = Move.browse(own)
            elif len(own) > 1:
                result[name] = AMBIGUOUS
            elif found:
                result[name] = OTHER_COMPANY
        return result

    def _ar_find_currencies(self, codes):
        currencies = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "in", [code.upper() for code in codes])])
        return {currency.name: currency for currency in currencies}

    @api.model
    def _ar_partner_matches(self, customer, text):
        """``text`` names ``customer`` (or one of its contacts): by VAT number or by name."""
        key = cash_matching.normalize(text)
        if not key:
            return False
        partners = customer | customer.child_ids
        return any(key in (cash_matching.normalize(p.vat), cash_matching.normalize(p.name)) for p in partners)

    def _ar_raise(self, errors):
        errors = sorted(errors, key=lambda error: error[0])
        lines = [self.env._("Row %(row)s: %(message)s", row=row, message=message)
                 for row, message in errors[:MAX_ERRORS_SHOWN]]
        if len(errors) > MAX_ERRORS_SHOWN:
            lines.append(self.env._("… and %(count)s more errors.", count=len(errors) - MAX_ERRORS_SHOWN))
        file_name = self.file_name or self.env._("the file")
        if len(errors) == 1:
            summary = self.env._("Nothing was imported: 1 error in %(file)s.", file=file_name)
        else:
            summary = self.env._("Nothing was imported: %(count)s errors in %(file)s.", count=len(errors), file=file_name)
        raise UserError(self.env._("%(summary)s Correct the file and import it again.\n%(errors)s",
                                   summary=summary, errors="\n".join(lines)))

    # ------------------------------------------------------------------
    # Creating the advices
    # ------------------------------------------------------------------
    def _ar_create_remittances(self, rows):
        vals_list = []
        for group in self._ar_groups(rows).values():
            moves = [row["move"] for row in group]
            dates = [row["date_value"] for row in group if row["date_value"]]
            vals_list.append({
                "name": group[0]["payment_reference"],
                "company_id": self.company_id.id,
                "partner_id": moves[0].commercial_partner_id.id,
                "currency_id": moves[0].currency_id.id,
                "date": max(dates) if dates else fields.Date.context_today(self),
                "file_name": self.file_name,
                "line_ids": [fields.Command.create({
                    "sequence": sequence,
                    "invoice_ref": row["invoice"],
                    "move_id": row["move"].id,
                    "amount": row["amount_value"],
                }) for sequence, row in enumerate(group, start=1)],
            })
        return self.env["ar.remittance"].create(vals_list)

    def _ar_requeue_bank_lines(self):
        """The bank lines waiting in the exceptions queue may be the payments of these advices:
        the scheduled matcher looks at them again."""
        # sudo: collectors read bank lines; the matching status is the matcher's bookkeeping
        lines = self.env["account.bank.statement.line"].sudo().search([
            ("company_id", "=", self.company_id.id),
            ("ar_match_status", "=", "queued"),
            ("amount", ">", 0),
            ("is_reconciled", "=", False),
        ])
        lines.ar_match_status = "pending"
        return lines
