#!/usr/bin/python3
"""Differential test: steady's SigV4 signer against botocore's.

Generates random requests from a fixed seed, signs each with botocore (SigV4Auth, S3SigV4Auth,
SigV4QueryAuth, S3SigV4QueryAuth) and with steady (tests/tools/sigv4_sign, which calls
src/aws/sigv4.cc), and requires identical results for every one.

Run with Debian's interpreter and botocore (python3-botocore 1.29):
    STEADY_TOOLS=build/<dir>/tools /usr/bin/python3 tests/e2e/sigv4_botocore_test.py
Options: --count N (default 1200), --seed S, --verbose.

Where steady deliberately departs from botocore (documented in src/aws/sigv4.h) the generator
stays inside the common ground: URL query strings are sent UriEncode'd (botocore signs a URL's
query verbatim, steady canonicalizes it), header values fold only ASCII whitespace, no Date
header in header signing, and presigned URLs have no repeated query names. Everything else —
paths with spaces, Unicode, reserved characters, '//', '.' and '..'; repeated, empty and
unsorted parameters; header case, duplicates and whitespace runs; empty and binary bodies;
session tokens; UNSIGNED-PAYLOAD — is fair game.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import types
import urllib.parse

import botocore
import botocore.auth as boto_auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


# ---- botocore with a fixed clock ----------------------------------------------------------------

class _FrozenClock:
    now = None


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return _FrozenClock.now


# botocore.auth reads the time through `datetime.datetime.utcnow()`; give it ours.
boto_auth.datetime = types.SimpleNamespace(datetime=_FrozenDatetime)


# ---- random request generation ------------------------------------------------------------------

ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
UNRESERVED = '-_.~'
RESERVED = "!$&'()*+,;=:@/?#[]"
# Non-ASCII text that is not whitespace to Python (str.split() would fold U+00A0, U+3000...).
UNICODE = ['é', 'ñ', 'ß', 'Ω', 'ж', 'ሴ', '日本', '語', '😀', 'ﬁ', '\u00e9\u0301']

METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']
REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1', 'us-gov-west-1', 'cn-north-1', 'local']
SERVICES = ['ecs', 'ec2', 'sqs', 'sns', 'autoscaling', 'elasticloadbalancing', 'events',
            'monitoring', 'logs', 'sts', 'execute-api', 'glue', 'athena']
HEADER_NAMES = ['Content-Type', 'X-Amz-Target', 'X-Amz-Meta-Owner', 'x-amz-meta-note',
                'X-Custom', 'Content-MD5', 'Accept', 'Accept-Encoding', 'Range', 'If-Match',
                'Cache-Control', 'X-Amz-Storage-Class', 'User-Agent', 'Expect', 'X-Amzn-Trace-Id',
                'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Content-SHA256', 'Authorization',
                'Host', 'Content-Length', 'My-Header', 'x-amz-acl', 'Content-Encoding']
# Header names steady and botocore treat differently on purpose (see sigv4.h).
SIGN_MODE_EXCLUDED = {'date'}
PRESIGN_EXCLUDED = {'authorization'}


def rand_text(rng, lo, hi):
    out = []
    for _ in range(rng.randint(lo, hi)):
        r = rng.random()
        if r < 0.55:
            out.append(rng.choice(ALNUM))
        elif r < 0.65:
            out.append(rng.choice(UNRESERVED))
        elif r < 0.8:
            out.append(rng.choice(RESERVED))
        elif r < 0.88:
            out.append(' ')
        elif r < 0.9:
            out.append('%')
        else:
            out.append(rng.choice(UNICODE))
    return ''.join(out)


def encode_segment(rng, text):
    r = rng.random()
    if r < 0.5:
        return urllib.parse.quote(text, safe='')  # SigV4 UriEncode, '/' included
    if r < 0.8:
        # RFC 3986 lets sub-delims, ':' and '@' appear raw in a path segment.
        return urllib.parse.quote(text, safe="!$&'()*+,;=:@")
    # Lower-case hex escapes ("%c3%a9"): legal, and not what UriEncode emits.
    return re.sub(r'%[0-9A-F]{2}', lambda m: m.group(0).lower(),
                  urllib.parse.quote(text, safe=''))


def rand_path(rng):
    segments = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.1:
            segments.append('')  # '//'
        elif r < 0.18:
            segments.append('.')
        elif r < 0.26:
            segments.append('..')
        else:
            segments.append(encode_segment(rng, rand_text(rng, 0, 12)))
    path = '/' + '/'.join(segments)
    if segments and rng.random() < 0.2:
        path += '/'
    return path


def rand_query_pairs(rng, allow_repeats):
    """Returns [(name, value or None)]: None means 'name' without '='."""
    pairs = []
    names = ['prefix', 'max-keys', 'list-type', 'Action', 'Version', 'uploads', 'versionId', 'a',
             'A', 'b', 'key with space', 'ключ', 'a-b', 'a.b', 'X-Foo']
    for _ in range(rng.randint(0, 6)):
        if allow_repeats and pairs and rng.random() < 0.2:
            name = rng.choice(pairs)[0]
        elif rng.random() < 0.5:
            name = rng.choice(names)
        else:
            name = rand_text(rng, 1, 8)
        if any(n == name for n, _ in pairs) and not allow_repeats:
            continue
        r = rng.random()
        value = None if r < 0.1 else '' if r < 0.2 else rand_text(rng, 1, 16)
        pairs.append((name, value))
    return pairs


def encode_query(rng, pairs, style):
    """Wire form of `pairs`. 'strict' is UriEncode (botocore's percent_encode), as steady's
    clients send it; the other styles are legal encodings of the same pairs that only a
    canonicalizing signer (steady, botocore for `params` and for presigning) signs alike."""
    def enc(text):
        if style == 'strict':
            return urllib.parse.quote(text, safe='-_.~')
        if style == 'lenient':  # RFC 3986 query characters left raw ('+' aside: form decoders)
            return urllib.parse.quote(text, safe="-_.~!$'()*,;:@/?")
        if style == 'lowerhex':
            return re.sub(r'%[0-9A-F]{2}', lambda m: m.group(0).lower(),
                          urllib.parse.quote(text, safe='-_.~'))
        # 'overencoded': unreserved characters escaped too, now and then
        return ''.join(''.join(f'%{b:02X}' for b in c.encode())
                       if c in ALNUM + UNRESERVED and rng.random() < 0.3
                       else urllib.parse.quote(c, safe='-_.~') for c in text)

    parts = []
    for name, value in pairs:
        parts.append(enc(name) if value is None else enc(name) + '=' + enc(value))
    return '&'.join(parts)


def rand_case(rng, name):
    r = rng.random()
    if r < 0.4:
        return name
    if r < 0.6:
        return name.lower()
    if r < 0.7:
        return name.upper()
    return ''.join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def rand_spaces(rng):
    return ''.join(rng.choice(' \t') if rng.random() < 0.2 else ' '
                   for _ in range(rng.randint(1, 4)))


def rand_header_value(rng):
    r = rng.random()
    if r < 0.08:
        return ''
    if r < 0.12:
        return rand_spaces(rng)
    tokens = []
    for _ in range(rng.randint(1, 4)):
        t = rng.random()
        if t < 0.6:
            tokens.append(''.join(rng.choice(ALNUM + '-_.:;,="/()') for _ in range(rng.randint(1, 12))))
        elif t < 0.8:
            tokens.append(rng.choice(['application/json', 'a,b', '"a   b"', 'bytes=0-9', '*/*']))
        else:
            tokens.append(rng.choice(UNICODE))
    value = tokens[0]
    for tok in tokens[1:]:
        value += (rand_spaces(rng) if rng.random() < 0.7 else '') + tok
    if rng.random() < 0.3:
        value = rand_spaces(rng) + value
    if rng.random() < 0.3:
        value = value + rand_spaces(rng)
    return value


def rand_host(rng, s3):
    scheme = 'https' if rng.random() < 0.7 else 'http'
    if s3:
        hosts = ['examplebucket.s3.amazonaws.com', 's3.us-east-1.amazonaws.com',
                 'My-Bucket.S3.Amazonaws.COM', 'localhost', '127.0.0.1', '[::1]']
    else:
        hosts = ['ecs.us-east-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com', 'localhost',
                 'LocalHost.LocalDomain', '127.0.0.1', '[::1]', '[2001:DB8::1]',
                 'Example.AmazonAWS.com']
    host = rng.choice(hosts)
    r = rng.random()
    if r < 0.6:
        port = None
    elif r < 0.7:
        port = 443 if scheme == 'https' else 80
    elif r < 0.75:
        port = 80 if scheme == 'https' else 443
    else:
        port = rng.randint(1, 65535)
    netloc = host if port is None else f'{host}:{port}'
    return scheme, host, netloc


def rand_body(rng):
    r = rng.random()
    if r < 0.25:
        return b''
    if r < 0.45:
        return json.dumps({'cluster': rand_text(rng, 0, 20), 'n': rng.randint(0, 99)}).encode()
    if r < 0.7:
        return rand_text(rng, 1, 300).encode()
    if r < 0.97:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(60000, 70000)))


def rand_token(rng):
    alphabet = ALNUM + '+/='
    return ''.join(rng.choice(alphabet) for _ in range(rng.randint(16, 400)))


def make_credential_pool(rng):
    pool = []
    for _ in range(4):
        key = 'AKIA' + ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))
        secret = ''.join(rng.choice(ALNUM + '+/') for _ in range(40))
        pool.append((key, secret))
    return pool


def rand_time_ns(rng, day_pool):
    # A few recurring days (to exercise steady's signing-key cache), the rest anywhere in
    # 2000..2037; always with a sub-second part that must be dropped, not rounded.
    if rng.random() < 0.6:
        day = rng.choice(day_pool)
    else:
        day = rng.randint(10957, 24836)
    secs = day * 86400 + rng.randint(0, 86399)
    return secs * 1_000_000_000 + rng.randint(0, 999_999_999)


def generate_case(rng, index, cred_pool, day_pool):
    """Returns (case dict for the tool, botocore recipe) for case `index`."""
    kind = ['sign', 'sign-s3', 'presign', 'presign-s3'][index % 4]
    s3 = kind.endswith('s3')
    presign = kind.startswith('presign')
    scheme, _, netloc = rand_host(rng, s3)
    path = rand_path(rng)
    pairs = rand_query_pairs(rng, allow_repeats=not presign)
    use_params = not presign and pairs and rng.random() < 0.3
    # botocore signs a URL's query verbatim in header signing, so only UriEncode'd queries
    # compare there; with `params` and when presigning it canonicalizes like steady.
    style = 'strict'
    if (use_params or presign) and rng.random() < 0.6:
        style = rng.choice(['lenient', 'lowerhex', 'overencoded'])
    query = encode_query(rng, pairs, style)
    tool_url = f'{scheme}://{netloc}{path}' + (f'?{query}' if query or rng.random() < 0.05 else '')
    if use_params:
        boto_url = f'{scheme}://{netloc}{path}'
        boto_params = [(n, '' if v is None else v) for n, v in pairs]
    else:
        boto_url = tool_url
        boto_params = None

    excluded = PRESIGN_EXCLUDED if presign else SIGN_MODE_EXCLUDED
    headers = []
    for _ in range(rng.randint(0, 3 if presign else 8)):
        name = rng.choice(HEADER_NAMES + (['Date'] if presign else []))
        if name.lower() in excluded:
            continue
        if name == 'Host':
            value = rng.choice([netloc, netloc.upper(), ' ' + netloc + '\t ', 'other.example.com'])
        elif name == 'X-Amz-Content-SHA256':
            value = rng.choice([hashlib.sha256(rand_text(rng, 0, 5).encode()).hexdigest(),
                                'UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'])
        elif name == 'Content-Length':
            value = str(rng.randint(0, 10**9))
        elif name == 'Date':
            value = 'Sun, 30 Aug 2015 12:36:00 GMT'
        else:
            value = rand_header_value(rng)
        headers.append((rand_case(rng, name), value))
        if rng.random() < 0.15:  # the same name again, in another case
            headers.append((rand_case(rng, name), rand_header_value(rng)))

    if rng.random() < 0.75:
        key, secret = rng.choice(cred_pool)
    else:
        key, secret = make_credential_pool(rng)[0]
    token = rand_token(rng) if rng.random() < 0.4 else None
    region = rng.choice(REGIONS)
    service = 's3' if s3 else rng.choice(SERVICES)
    method = rng.choice(METHODS)
    if rng.random() < 0.1:
        method = method.lower()
    body = b'' if presign else rand_body(rng)
    time_ns = rand_time_ns(rng, day_pool)

    case = {
        'id': index, 'mode': 'presign' if presign else 'sign', 'method': method, 'url': tool_url,
        'headers': headers, 'body_b64': base64.b64encode(body).decode(),
        'access_key': key, 'secret_key': secret, 'token': token or '', 'region': region,
        'service': service, 'time_ns': time_ns, 'normalize_path': not s3,
        'unsigned_payload': False, 'content_sha256_header': False, 'debug': True,
    }
    recipe = {'kind': kind, 'url': boto_url, 'params': boto_params, 'headers': list(headers),
              'body': body, 'context': {}, 's3_sign_payload': None}
    if kind == 'sign':
        r = rng.random()
        if r < 0.15:
            case['unsigned_payload'] = True
            recipe['context']['payload_signing_enabled'] = False
        elif r < 0.3:
            # botocore's SigV4Auth has no switch for this; a request that already carries the
            # header is what it would sign.
            case['content_sha256_header'] = True
            recipe['headers'] = [(n, v) for n, v in headers if n.lower() != 'x-amz-content-sha256']
            recipe['headers'].append(('X-Amz-Content-SHA256', hashlib.sha256(body).hexdigest()))
    elif kind == 'sign-s3':
        sign_payload = rng.random() < 0.5
        case['content_sha256_header'] = True
        case['unsigned_payload'] = not sign_payload
        recipe['s3_sign_payload'] = sign_payload
    elif kind == 'presign':
        case['expires'] = rng.randint(1, 604800)
    else:
        case['expires'] = rng.randint(1, 604800)
        case['unsigned_payload'] = True
    return case, recipe


# ---- botocore side ------------------------------------------------------------------------------

def boto_sign(case, recipe):
    """Signs with botocore; returns (request after signing, canonical request)."""
    t = case['time_ns']
    _FrozenClock.now = (_FrozenDatetime(1970, 1, 1) +
                        datetime.timedelta(seconds=t // 10**9, microseconds=(t % 10**9) // 1000))
    creds = Credentials(case['access_key'], case['secret_key'], case['token'] or None)
    request = AWSRequest(method=case['method'], url=recipe['url'], data=recipe['body'] or None,
                         params=recipe['params'])
    for name, value in recipe['headers']:
        request.headers[name] = value  # HTTPHeaders keeps repeated names
    request.context.update(recipe['context'])
    kind = recipe['kind']
    if kind == 'sign':
        signer = boto_auth.SigV4Auth(creds, case['service'], case['region'])
    elif kind == 'sign-s3':
        signer = boto_auth.S3SigV4Auth(creds, case['service'], case['region'])
        request.context['client_config'] = Config(
            s3={'payload_signing_enabled': recipe['s3_sign_payload']})
    elif kind == 'presign':
        signer = boto_auth.SigV4QueryAuth(creds, case['service'], case['region'],
                                          expires=case['expires'])
    else:
        signer = boto_auth.S3SigV4QueryAuth(creds, case['service'], case['region'],
                                            expires=case['expires'])
    captured = {}
    original = signer.canonical_request

    def capture(req):
        captured['cr'] = original(req)
        return captured['cr']

    signer.canonical_request = capture
    signer.add_auth(request)
    return request, captured.get('cr')


def compare(case, recipe, boto_request, tool_out):
    """Returns None if equal, else a description of the difference."""
    if not tool_out.get('ok'):
        return f"steady refused: {tool_out.get('error')}"
    if case['mode'] == 'sign':
        got = {}
        for name, value in tool_out['headers']:
            got.setdefault(name.lower(), []).append(value)
        for name in ['authorization', 'x-amz-date', 'x-amz-security-token',
                     'x-amz-content-sha256']:
            want = boto_request.headers.get_all(name) or []
            if got.get(name, []) != want:
                return f'{name}: botocore {want!r}, steady {got.get(name, [])!r}'
        return None
    want_url, got_url = boto_request.url, tool_out['url']
    want_base, _, want_query = want_url.partition('?')
    got_base, _, got_query = got_url.partition('?')
    if want_base != got_base:
        return f'URL base: botocore {want_base!r}, steady {got_base!r}'

    def pairs(q):
        return sorted(urllib.parse.parse_qsl(q, keep_blank_values=True))

    want_sig = dict(pairs(want_query)).get('X-Amz-Signature')
    got_sig = dict(pairs(got_query)).get('X-Amz-Signature')
    if want_sig is None or want_sig != got_sig:
        return f'signature: botocore {want_sig}, steady {got_sig}'
    if pairs(want_query) != pairs(got_query):
        return f'query: botocore {want_query!r}, steady {got_query!r}'
    return None


def control_check(cases, results):
    """The comparison must be able to fail: a botocore signature for a different secret must
    differ from steady's."""
    case, recipe = next((c, r) for c, r in cases if c['mode'] == 'sign')
    altered = dict(case, secret_key=case['secret_key'][:-1] + ('A' if case['secret_key'][-1] != 'A' else 'B'))
    boto_request, _ = boto_sign(altered, recipe)
    return compare(case, recipe, boto_request, results[case['id']]) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=1200)
    parser.add_argument('--seed', type=int, default=20150830)
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args()

    tools = os.environ.get('STEADY_TOOLS')
    if not tools:
        print('sigv4: STEADY_TOOLS is not set (the directory holding the sigv4_sign tool)')
        return 2
    tool = os.path.join(tools, 'sigv4_sign')
    if not os.access(tool, os.X_OK):
        print(f'sigv4: {tool} is missing; build the sigv4_sign target')
        return 2
    print(f'sigv4: botocore {botocore.__version__} from {os.path.dirname(botocore.__file__)}, '
          f'python {sys.version.split()[0]}, seed {args.seed}')

    rng = random.Random(args.seed)
    cred_pool = make_credential_pool(rng)
    day_pool = [rng.randint(10957, 24836) for _ in range(3)]
    cases = [generate_case(rng, i, cred_pool, day_pool) for i in range(args.count)]

    stdin = ''.join(json.dumps(c, ensure_ascii=False) + '\n' for c, _ in cases)
    proc = subprocess.run([tool], input=stdin.encode(), capture_output=True, timeout=300)
    if proc.returncode != 0:
        print(f'sigv4: {tool} exited {proc.returncode}: {proc.stderr.decode(errors="replace")}')
        return 1
    results = {}
    for line in proc.stdout.decode().splitlines():
        out = json.loads(line)
        results[out['id']] = out

    passed = failed = 0
    by_kind = {}
    shown = 0
    for case, recipe in cases:
        out = results.get(case['id'], {'ok': False, 'error': 'no output line'})
        try:
            boto_request, boto_cr = boto_sign(case, recipe)
            problem = compare(case, recipe, boto_request, out)
        except Exception as e:  # a botocore crash on a generated case is a test bug: report it
            boto_cr = None
            problem = f'botocore raised {type(e).__name__}: {e}'
        stats = by_kind.setdefault(recipe['kind'], [0, 0])
        if problem is None:
            passed += 1
            stats[0] += 1
            continue
        failed += 1
        stats[1] += 1
        if shown < 5 or args.verbose:
            shown += 1
            print(f'--- case {case["id"]} ({recipe["kind"]}): {problem}')
            print('case:', json.dumps(dict(case, body_b64=case['body_b64'][:60]),
                                      ensure_ascii=False))
            print('botocore canonical request:\n' + str(boto_cr))
            if 'canonical_request' in out:
                print('steady canonical request:\n' + out['canonical_request'])

    if not control_check(cases, results):
        print('sigv4: control check failed: a wrong secret still compared equal')
        failed += 1
    for kind, (p, f) in sorted(by_kind.items()):
        print(f'  {kind:<11} {p:5d} identical {f:5d} different')
    print(f'sigv4: {passed} passed, {failed} failed')
    return 0 if failed == 0 and passed == args.count else 1


if __name__ == '__main__':
    sys.exit(main())
