"""The benchmark's receivables book: the demo generator's book, cloned to scale in SQL.

The demo generator goes through the ORM (about 25 ms per invoice with its credit
notes and payments): right for 1,500 invoices, an hour for 100,000. The benchmark
generates a seed book with it (100 customers, 10 invoices each by default) and then
copies each seed customer with *all* its accounting, in SQL: the partner, its moves
(invoices, credit notes, payments' entries, exchange differences), their journal
items and reconciliations. A clone is a new customer whose book is identical to its
seed's, so every stored computed value (residuals, payment states, our fields and the
peers' fields on partners and moves) is already right for it; only names, references
and ids change. Not copied: chatter, account.payment records (the payment entries are
copied, reconciled as in the seed) and records of other models that point to the seed.
"""
import logging

from psycopg2 import sql

_logger = logging.getLogger(__name__)

SEED_REF = "AR-DEMO-%"
# A clone's reference is its seed's with "-C<clone number>" appended.
CLONE_REF_RE = "-C[0-9]+$"
# Tables a clone copies, in insertion order, with how their rows are found.
CLONED = ("res_partner", "account_move", "account_full_reconcile", "account_move_line",
          "account_partial_reconcile")
# Foreign keys to these are cleared in a clone: the records are the seed's own and not copied.
CLEARED = {"account_payment", "account_bank_statement_line", "account_bank_statement", "ar_credit_score",
           "ir_attachment", "stock_move", "payment_transaction"}
# Many2many tables of journal items (taxes, tax tags) copied along with the items.
ITEM_RELATIONS = ("account_move_line_account_tax_rel", "account_account_tag_account_move_line_rel")


def seed_customer_ids(cr):
    """The demo generator's customers (the seed of every clone), in id order."""
    cr.execute("SELECT id FROM res_partner WHERE ref LIKE %s AND ref !~ %s AND id = commercial_partner_id"
               " ORDER BY id", [SEED_REF, CLONE_REF_RE])
    return [row[0] for row in cr.fetchall()]


def clone_count(cr):
    """How many times the seed has been cloned so far."""
    cr.execute("SELECT COALESCE(MAX(substring(ref from %s)::int), 0) FROM res_partner WHERE ref LIKE %s",
               [CLONE_REF_RE.replace("[0-9]+", "([0-9]+)"), SEED_REF])
    return cr.fetchone()[0]


def _columns(cr, table):
    cr.execute("""SELECT column_name FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position""", [table])
    return [row[0] for row in cr.fetchall()]


def _foreign_keys(cr, table):
    """{column: referenced table} of ``table``'s single-column foreign keys."""
    cr.execute("""
        SELECT a.attname, c.confrelid::regclass::text
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 1
    """, [table])
    return dict(cr.fetchall())


def _build_maps(cr, first, last):
    """Temporary tables bench_map_<table>(clone, old_id, new_id) for clones first..last.

    The new ids come from each table's own sequence, so the ORM keeps working on them.
    """
    clones = sql.SQL("generate_series({}, {}) AS clone").format(sql.Literal(first), sql.Literal(last))
    sources = {
        "res_partner": sql.SQL("SELECT id FROM res_partner WHERE ref LIKE {} AND ref !~ {}"
                               " AND id = commercial_partner_id").format(sql.Literal(SEED_REF),
                                                                         sql.Literal(CLONE_REF_RE)),
        # every move that touches a seed customer, exchange differences included
        "account_move": sql.SQL("""
            SELECT DISTINCT line.move_id AS id FROM account_move_line line
              JOIN bench_seed_partner seed ON seed.id = line.partner_id
            UNION SELECT move.id FROM account_move move
              JOIN bench_seed_partner seed ON seed.id = move.commercial_partner_id"""),
        "account_move_line": sql.SQL(
            "SELECT line.id FROM account_move_line line JOIN bench_seed_move seed ON seed.id = line.move_id"),
        "account_full_reconcile": sql.SQL(
            "SELECT DISTINCT full_reconcile_id AS id FROM account_move_line line"
            " JOIN bench_seed_move seed ON seed.id = line.move_id WHERE full_reconcile_id IS NOT NULL"),
        "account_partial_reconcile": sql.SQL("""
            SELECT partial.id FROM account_partial_reconcile partial
              JOIN bench_seed_line debit ON debit.id = partial.debit_move_id
              JOIN bench_seed_line credit ON credit.id = partial.credit_move_id"""),
    }
    seeds = {"res_partner": "bench_seed_partner", "account_move": "bench_seed_move",
             "account_move_line": "bench_seed_line"}
    for table in ("res_partner", "account_move", "account_move_line", "account_full_reconcile",
                  "account_partial_reconcile"):
        seed = seeds.get(table, f"bench_seed_{table}")
        cr.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(seed)))
        cr.execute(sql.SQL("CREATE TEMP TABLE {} AS {}").format(sql.Identifier(seed), sources[table]))
        cr.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(f"bench_map_{table}")))
        cr.execute(sql.SQL("""
            CREATE TEMP TABLE {map} AS
            SELECT clone, seed.id AS old_id, nextval({seq}) AS new_id FROM {seed} seed, {clones}
        """).format(map=sql.Identifier(f"bench_map_{table}"), seed=sql.Identifier(seed),
                    seq=sql.Literal(f"{table}_id_seq"), clones=clones))
        cr.execute(sql.SQL("CREATE INDEX ON {} (clone, old_id)").format(sql.Identifier(f"bench_map_{table}")))
        cr.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(f"bench_map_{table}")))


def _renamed(table, column, src, mapped):
    """SQL of a column whose value a clone changes (names, references), else None."""
    clone = sql.SQL("m.clone")
    if table == "res_partner":
        if column in ("name", "complete_name"):
            return sql.SQL("{} || ' #' || {}").format(src, clone)
        if column == "ref":
            return sql.SQL("{} || '-C' || {}").format(src, clone)
        if column == "commercial_partner_id":
            return sql.SQL("m.new_id")
    if table == "account_move":
        if column == "sequence_number":
            return sql.SQL("s.sequence_number + m.clone * bench_stride.stride")
        if column == "name":
            return sql.SQL("CASE WHEN s.sequence_number IS NULL OR s.sequence_prefix IS NULL THEN s.name"
                           " ELSE s.sequence_prefix || lpad((s.sequence_number + m.clone * bench_stride.stride)::text,"
                           " greatest(length(s.name) - length(s.sequence_prefix),"
                           " length((s.sequence_number + m.clone * bench_stride.stride)::text)), '0') END")
        if column in ("access_token", "inalterable_hash", "secure_sequence_number"):
            return sql.SQL("NULL")
    if table == "account_move_line" and column == "matching_number":
        return sql.SQL("NULL")  # set again once the reconciliations exist
    return mapped


def _insert_clones(cr, table, fks):
    columns = _columns(cr, table)
    src = sql.SQL("s.{}")
    selects, joins = [], []
    for column in columns:
        value = src.format(sql.Identifier(column))
        target = fks.get(column)
        if column == "id":
            value = sql.SQL("m.new_id")
        elif target in CLEARED:
            value = sql.SQL("NULL")
        elif target in CLONED:
            alias = sql.Identifier(f"j_{column}")
            joins.append(sql.SQL("LEFT JOIN {map} {alias} ON {alias}.clone = m.clone AND {alias}.old_id = {value}")
                         .format(map=sql.Identifier(f"bench_map_{target}"), alias=alias, value=value))
            value = sql.SQL("COALESCE({}.new_id, {})").format(alias, value)
        selects.append(_renamed(table, column, src.format(sql.Identifier(column)), value))
    extra = sql.SQL(" CROSS JOIN bench_stride") if table == "account_move" else sql.SQL("")
    cr.execute(sql.SQL("INSERT INTO {table} ({columns}) SELECT {selects} FROM {map} m JOIN {table} s ON s.id = m.old_id"
                       "{extra} {joins}").format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        selects=sql.SQL(", ").join(selects),
        map=sql.Identifier(f"bench_map_{table}"),
        extra=extra,
        joins=sql.SQL(" ").join(joins),
    ))
    return cr.rowcount


def clone_seed(cr, first, last):
    """Copy every seed customer with its whole book, as clones number ``first``..``last``.

    :return: {table: rows inserted}
    """
    _build_maps(cr, first, last)
    # Clone k's sequence numbers are the seed's plus k * stride: unique per journal and
    # prefix, and the sequence mixin continues after the highest one.
    cr.execute("""CREATE TEMP TABLE IF NOT EXISTS bench_stride AS
                  SELECT (10 ^ length(COALESCE(MAX(sequence_number), 1)::text))::int * 10 AS stride
                    FROM account_move WHERE id IN (SELECT id FROM bench_seed_move)""")
    counts = {}
    for table in CLONED:
        counts[table] = _insert_clones(cr, table, _foreign_keys(cr, table))
    for rel in ITEM_RELATIONS:
        line_col, other_col = _columns(cr, rel)
        if line_col != "account_move_line_id":
            line_col, other_col = other_col, line_col
        cr.execute(sql.SQL("INSERT INTO {rel} ({line}, {other}) SELECT m.new_id, r.{other} FROM {rel} r"
                           " JOIN bench_map_account_move_line m ON m.old_id = r.{line}").format(
            rel=sql.Identifier(rel), line=sql.Identifier(line_col), other=sql.Identifier(other_col)))
        counts[rel] = cr.rowcount
    # Denormalized copies of the new names and the reconciliation numbers.
    cr.execute("""UPDATE account_move_line line SET move_name = move.name
                    FROM bench_map_account_move m JOIN account_move move ON move.id = m.new_id
                   WHERE line.move_id = m.new_id""")
    cr.execute("""UPDATE account_move move SET payment_reference = move.name
                    FROM bench_map_account_move m JOIN account_move seed ON seed.id = m.old_id
                   WHERE move.id = m.new_id AND seed.payment_reference = seed.name""")
    cr.execute("""UPDATE account_move_line line SET matching_number = CASE
                         WHEN line.full_reconcile_id IS NOT NULL THEN line.full_reconcile_id::text
                         ELSE 'P' || (SELECT MIN(p.id) FROM account_partial_reconcile p
                                       WHERE p.debit_move_id = line.id OR p.credit_move_id = line.id) END
                    FROM bench_map_account_move_line m
                   WHERE line.id = m.new_id AND line.matching_number IS NOT NULL""")
    return counts


def grow(cr, clones_wanted):
    """Clone the seed until it exists ``clones_wanted`` more times; returns rows inserted."""
    done = clone_count(cr)
    if clones_wanted <= done:
        return {}
    counts = clone_seed(cr, done + 1, clones_wanted)
    counts.update(verify(cr))
    cr.execute("ANALYZE res_partner, account_move, account_move_line, account_partial_reconcile,"
               " account_full_reconcile")
    _logger.info("bench book: clones %d..%d: %s", done + 1, clones_wanted, counts)
    return counts


def verify(cr):
    """Check that every clone's book is its seed's: same invoices, open amounts and
    reconciliations, reconciled only within itself, and the ledger still balanced.

    :return: {check: value}; raises AssertionError on the first difference
    """
    cr.execute("""
        WITH customer AS (
            SELECT id, regexp_replace(ref, %s, '') AS seed_ref, ref ~ %s AS is_clone
              FROM res_partner WHERE ref LIKE %s AND id = commercial_partner_id
        ), book AS (
            SELECT customer.id, customer.seed_ref, customer.is_clone,
                   COUNT(move.id) FILTER (WHERE move.move_type = 'out_invoice') AS invoices,
                   COUNT(move.id) FILTER (WHERE move.move_type = 'out_refund') AS refunds,
                   COALESCE(SUM(move.amount_residual_signed), 0) AS residual,
                   string_agg(move.payment_state, ',' ORDER BY move.invoice_date_due, move.amount_total, move.id)
                       AS states
              FROM customer LEFT JOIN account_move move
                ON move.commercial_partner_id = customer.id AND move.state = 'posted'
                   AND move.move_type IN ('out_invoice', 'out_refund')
          GROUP BY customer.id, customer.seed_ref, customer.is_clone
        )
        SELECT COUNT(*) FILTER (WHERE clone.id IS NOT NULL),
               COUNT(*) FILTER (WHERE clone.invoices <> seed.invoices OR clone.refunds <> seed.refunds
                                   OR clone.residual <> seed.residual OR clone.states <> seed.states)
          FROM book seed LEFT JOIN book clone ON clone.seed_ref = seed.seed_ref AND clone.is_clone
         WHERE NOT seed.is_clone
    """, [CLONE_REF_RE, CLONE_REF_RE, SEED_REF])
    clones, different = cr.fetchone()
    assert not different, f"{different} cloned customers differ from their seed"
    # a reconciliation joins items of one customer (or none), never a clone to another
    cr.execute("""
        SELECT COUNT(*) FROM account_partial_reconcile partial
          JOIN account_move_line debit ON debit.id = partial.debit_move_id
          JOIN account_move_line credit ON credit.id = partial.credit_move_id
         WHERE debit.partner_id <> credit.partner_id
    """)
    crossed = cr.fetchone()[0]
    assert not crossed, f"{crossed} reconciliations join two customers"
    cr.execute("SELECT ROUND(SUM(balance), 2), COUNT(*) FROM account_move_line WHERE parent_state = 'posted'")
    balance, items = cr.fetchone()
    assert not balance, f"the ledger is off balance by {balance}"
    cr.execute("""SELECT COUNT(*) FROM (SELECT 1 FROM account_move WHERE state = 'posted'
                   GROUP BY journal_id, name HAVING COUNT(*) > 1) dup""")
    assert not cr.fetchone()[0], "two posted entries share a name"
    return {"clones_checked": clones, "journal_items": items}
