"""A corpus of malformed log files, built in code so that every byte is visible in review.

`CASES` maps a file name to its bytes and an optional `--kind`; `tests/etl/test_corpus.py` holds the
exact outcome expected of each (status, counts, the reason sentences and line numbers).
"""

from __future__ import annotations

import gzip

from etl.contract import KINDS


def header(kind: str) -> str:
    return ",".join(KINDS[kind].names)


def lines(*rows: str, crlf: bool = False) -> bytes:
    end = "\r\n" if crlf else "\n"
    return "".join(r + end for r in rows).encode("utf-8")


MSG = header("messages")  # message_id,sent_at,business_id,user_id,direction,user_country,category,template,status,text
OK_IN = "m1,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,hello"
OK_OUT = "m2,2026-03-01T11:00:00Z,b1,u1,outbound,IN,marketing,promo,delivered,Sale!"
BLOCKS = header("blocks")  # block_id,blocked_at,user_id,business_id,reason
LONG_ID = "x" * 129
MB = 1 << 20

CASES: dict[str, tuple[bytes, str | None]] = {
    # ---------------------------------------------------------------- whole file refused
    "empty.csv": (b"", None),
    "whitespace.csv": (b" \r\n\n\t\n", None),
    "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", None),
    "utf16.csv": (b"\xff\xfe" + (MSG + "\n" + OK_IN + "\n").encode("utf-16-le"), None),
    "utf32.csv": (b"\xff\xfe\x00\x00" + (MSG + "\n").encode("utf-32-le"), None),
    "latin1_header.csv": ("message_id,sent_at,business_id,user_id,direction,user_country,caf\xe9\n".encode("latin-1"), None),
    "latin1_row.csv": (lines(MSG, OK_IN) + "m3,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,caf\xe9\n".encode("latin-1"), None),
    "unknown_header.csv": (lines("name,email,phone", "Ann,ann@example.com,123"), None),
    "no_header.csv": (lines(OK_IN, OK_OUT), None),
    "missing_column.csv": (lines("message_id,sent_at,business_id,user_id,direction", "m1,2026-03-01T10:00:00Z,b1,u1,inbound"), None),
    "missing_column_kind.csv": (lines("message_id,sent_at,business_id,user_id,direction", "m1,2026-03-01T10:00:00Z,b1,u1,inbound"), "messages"),
    "wrong_kind.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1,spam"), "reports"),
    "semicolons.csv": (lines(MSG.replace(",", ";"), OK_IN.replace(",", ";")), None),
    "tabs.csv": (lines(MSG.replace(",", "\t"), OK_IN.replace(",", "\t")), None),
    "pipes.csv": (lines(MSG.replace(",", "|"), OK_IN.replace(",", "|")), None),
    "duplicate_column.csv": (lines(BLOCKS + ",User_ID", "k1,2026-03-01T10:00:00Z,u1,b1,spam,u1"), None),
    "cr_only.csv": ((BLOCKS + "\rk1,2026-03-01T10:00:00Z,u1,b1,spam\r").encode(), None),
    "unterminated_quote.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1,spam",
                                     'k2,2026-03-01T10:00:00Z,"u2,b1,spam',
                                     "k3,2026-03-01T10:00:00Z,u3,b1,spam"), None),
    "unterminated_quote_last.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1,spam",
                                          'k2,2026-03-01T10:00:00Z,u2,b1,"spam'), None),
    "unterminated_after_multiline.csv": (lines(MSG, 'm1,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,"two', 'lines"',
                                               'm2,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,"never closed',
                                               OK_OUT), None),
    "bom_unterminated_quote.csv": (b"\xef\xbb\xbf" + lines(BLOCKS, 'k1,2026-03-01T10:00:00Z,"u1,b1,spam',
                                                           "k2,2026-03-01T10:00:00Z,u2,b1,spam", crlf=True), None),
    "mixed_line_ends.csv": ((BLOCKS + "\r\nk1,2026-03-01T10:00:00Z,u1,b1,spam\nk2,never,u1,b1,spam\r\n").encode(), None),
    "bare_cr_in_row.csv": ((BLOCKS + "\nk1,2026-03-01T10:00:00Z,u1,b1,spam\rk2,2026-03-01T10:00:00Z,u1,b1,spam\n").encode(), None),
    # A CR alone in an LF file, as Python's csv.writer writes a field holding one (found by
    # tests/etl/test_properties.py): DuckDB read the first as a blank line and the second as two lines.
    "lone_cr_row.csv": ((BLOCKS + "\n\r\n").encode(), None),
    "cr_before_value.csv": ((BLOCKS + "\nk1,2026-03-01T10:00:00Z,u1,b1,spam\n\r0\n").encode(), None),
    "cr_at_end_of_field.csv": ((BLOCKS + "\nk1,2026-03-01T10:00:00Z,u1\r,b1,spam\n").encode(), None),
    "cr_at_end_of_file.csv": ((BLOCKS + "\nk1,2026-03-01T10:00:00Z,u1,b1,spam\n\r").encode(), None),
    "cr_after_closing_quote.csv": ((BLOCKS + '\nk1,2026-03-01T10:00:00Z,"u1"\r\n').encode(), None),
    "cr_in_header.csv": (("block_id,blocked_at\r,user_id,business_id,reason\nk1,2026-03-01T10:00:00Z,u1,b1,spam\n").encode(), None),
    "crlf_file_lone_cr.csv": ((BLOCKS + "\r\nk1,2026-03-01T10:00:00Z,u1,b1,sp\ram\r\n").encode(), None),
    # A first line of data: no value of it may reach a sentence.
    "no_header_personal.csv": (lines("+447700900123,Jane Doe,jane@example.org,retail,GB",
                                     "+447700900124,John Roe,john@example.org,food,GB"), None),
    "no_header_repeated_value.csv": (lines("Jane Doe,Jane Doe,2026-03-01", "x,y,z"), None),
    "truth.csv": (lines("business_id,archetype", "b1,spammer"), None),
    "only_bom.csv": (b"\xef\xbb\xbf", None),
    "gzip_broken.csv.gz": (b"\x1f\x8b\x08\x00garbage that is not deflate", None),
    "gzip_truncated.csv.gz": (gzip.compress(lines(MSG, OK_IN, OK_OUT) * 50, mtime=0)[:60], None),
    "gzip_binary.csv.gz": (gzip.compress(b"\x00\x01\x02\x03binary", mtime=0), None),
    # ---------------------------------------------------------------- loaded, rows quarantined
    "header_only.csv": (lines(MSG), None),
    "gzip_ok.csv.gz": (gzip.compress(lines(MSG, OK_IN, OK_OUT), mtime=0), None),
    "bom_crlf_quoted.csv": (b"\xef\xbb\xbf" + lines(
        "User_Country , DIRECTION,message_id,sent_at,user_id,business_id,text,shoe_size",
        'IN,inbound,m1,2026-03-01T10:00:00Z,u1,b1,"multi\r\nline, with ""quotes""",42',
        "",
        "IN,inbound,m2,not a time,u1,b1,,43",
        crlf=True), None),
    "ragged.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1", "k2,2026-03-01T10:00:00Z,u1,b1,spam,extra",
                         "k3,2026-03-01T10:00:00Z,u1,b1,spam", "k4", ""), None),
    "broken_quoting.csv": (lines(BLOCKS, 'k1,2026-03-01T10:00:00Z,"u1"x,b1,spam', 'k2,2026-03-01T10:00:00Z,u"2,b1,spam'), None),
    "blank_lines.csv": (lines(BLOCKS, "", "k1,2026-03-01T10:00:00Z,u1,b1,spam", "", "", "k2,2026-03-01T10:00:00Z,,b1,spam"), None),
    "stray_quote_then_multiline.csv": (lines(MSG, 'm1,2026-03-01T10:00:00Z,b1,u"1,inbound,IN,,,,',
                                             'm2,2026-03-01T10:00:00Z,b1,u2,inbound,IN,,,,"multi', 'line"',
                                             "m3,2026-03-01T10:00:00Z,b1,u3,inbound,XX,,,,", ""), None),
    # CRs and LFs inside quoted fields are values, whichever line end the file uses.
    "lf_file_quoted_crs.csv": ((BLOCKS + '\nk1,2026-03-01T10:00:00Z,"u\r\n1",b1,spam\nk2,2026-03-01T10:00:00Z,"\ru2\r",b1,\n').encode(), None),
    "crlf_file_quoted_lf.csv": ((BLOCKS + '\r\nk1,2026-03-01T10:00:00Z,"u\n1",b1,spam\r\nk2,2026-03-01T10:00:00Z,"u\r2",b1,\r\n').encode(), None),
    "quoted_header.csv": (lines('"block_id","blocked_at","user_id","business_id"',
                                '"k1","2026-03-01T10:00:00Z","u1","b1"'), None),
    "empty_header_name.csv": (lines("block_id,,blocked_at,user_id,business_id", "k1,x,2026-03-01T10:00:00Z,u1,b1"), None),
    "nul_after_64k.csv": ((BLOCKS + "\n" + "".join(f"k{i},2026-03-01T10:00:00Z,u{i},b1,spam\n" for i in range(3000))).encode()
                          + b"z1,2026-03-01T10:00:00Z,u\x001,b1,spam\n", None),
    "no_final_newline.csv": ((BLOCKS + "\nk1,2026-03-01T10:00:00Z,u1,b1,spam").encode(), None),
    "nul_in_row.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1,spam") + b"k2,2026-03-01T10:00:00Z,u\x002,b1,spam\n", None),
    "bad_businesses.csv": (lines(
        header("businesses"),  # business_id,name,category,country,employees,verified,created_at
        "b1,Good Ltd,retail,IN,12,yes,2026-01-01T00:00:00Z",
        ",No Id,retail,IN,,,",
        "b3,,toys,XX,0,maybe,last week",
        f"{LONG_ID},Long,food,in,many,TRUE,1767225600",
        "b5,Fine,FOOD, us ,+3,0,2026-01-01 00:00:00+05:30",
        "b6,Future,retail,IN,,,2099-01-01T00:00:00Z"), None),
    "bad_messages.csv": (lines(
        MSG,
        OK_IN,
        "m2,2026-03-01T10:00:00Z,b1,u1,outbound,IN,,,,",
        "m3,2026-03-01T10:00:00Z,b1,u1,inbound,IN,marketing,,read,",
        "m4,2026-03-01T10:00:00Z,b1,u1,sideways,IN,,,,",
        "m5,2026-13-01T10:00:00Z,b1,,inbound,ZZ,,,,",
        "m6,2026-03-01T10:00:00Z,b1,u1,outbound,IN,spam,t,lost,"), None),
    "bad_campaigns.csv": (lines(
        header("ad_campaigns"),  # campaign_id,business_id,name,starts_on,ends_on,objective,budget_usd,countries
        "c1,b1,Spring,2026-03-01,2026-03-31,awareness,100.50,IN;BR",
        "c2,b1,Backwards,2026-03-31,2026-03-01,traffic,10,",
        "c3,b1,Bad,01/03/2026,2026-02-30,fame,-5,",
        "c4,b1,Cheap,2026-03-01,2026-03-01,messages,1e3,"), None),
    "bad_ad_events.csv": (lines(
        header("ad_events"),  # event_id,occurred_at,campaign_id,user_id,user_country,event,cost_usd
        "e1,2026-03-01T10:00:00Z,c1,u1,IN,impression,0.001",
        "e2,2026-03-01T10:00:00Z,c1,u1,IN,view,-0.5",
        "e3,2026-03-01T10:00:00Z,c1,u1,India,click,$1",
        "e4,2026-03-01T10:00:00Z,c1,u1,BR,REPLY,"), None),
    "bad_reports_optouts.csv": (lines(
        header("reports"),  # report_id,reported_at,user_id,business_id,reason,message_id
        "r1,2026-03-01T10:00:00Z,u1,b1,spam,m1",
        "r2,2026-03-01T10:00:00Z,u1,b1,annoying,",
        f"r3,2026-03-01T10:00:00Z,u1,b1,scam,{LONG_ID}"), None),
    "duplicates.csv": (lines(
        BLOCKS,
        "k1,2026-03-01T10:00:00Z,u1,b1,spam",
        "k1,2026-03-01T10:00:00Z,u1,b1,spam",  # exact repeat: skipped
        "k1,1772359200,u1,b1,SPAM",  # same content written another way: skipped
        "k1,2026-03-01T10:00:00Z,u2,b1,spam",  # same id, other content: conflict
        "k2,2026-03-01T10:00:00Z,u1,b1,spam"), None),
    "conflicts_with_store.csv": (lines(
        BLOCKS,
        "k1,2026-03-01T10:00:00Z,u1,b1,spam",  # as loaded from duplicates.csv: skipped
        "k2,2026-03-02T10:00:00Z,u1,b1,spam"), None),  # k2 loaded before with another time
    "injection.csv": (lines(
        header("businesses"),
        "b1'; DROP TABLE loads; --,Robert'); DROP TABLE raw_messages;--,retail,IN,,,",
        '"b2","<script>alert(1)</script><img src=x onerror=alert(2)>",retail,IN,,,',
        "b3,=cmd|' /C calc'!A0,retail,IN,,,",
        "b4,**bold** [link](http://x) ![img](http://x/p.png),retail,IN,,,",
        "b5,\U0001F600 مرحبا שלום,retail,IN,,,"), None),
    "huge_field.csv": (lines(MSG, "m1,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,," + "y" * MB,
                             "m2,2026-03-01T10:00:00Z,b1," + "u" * 200 + ",inbound,IN,,,,"), None),
    "huge_line.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z,u1,b1,spam",
                            "k2,2026-03-01T10:00:00Z," + "u" * (17 * MB) + ",b1,spam",
                            "k3,2026-03-01T10:00:00Z,u3,b1,spam"), None),
    # After a long line, DuckDB drops a line over its limit without reporting it.
    "huge_line_dropped.csv": (lines(BLOCKS, "k1,2026-03-01T10:00:00Z," + "u" * (15 * MB) + ",b1,spam",
                                    "k2,2026-03-01T10:00:00Z," + "u" * (17 * MB) + ",b1,spam",
                                    "k3,2026-03-01T10:00:00Z,u3,b1,spam"), None),
}

