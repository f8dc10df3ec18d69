"""read_literal: reads plugin output as ast.literal_eval does, through JSON when it safely can."""
import ast
import random
import time

import pytest

# literal_eval warns about backslashes before ordinary characters, which random text has plenty of
pytestmark = pytest.mark.filterwarnings('ignore:invalid escape sequence')

HOSTS = ['%08x-0000-4000-8000-%012x' % (index, index) for index in range(100)]

# what filters and weights print, as repr() writes it: read through JSON
SIMPLE_OUTPUTS = [
    repr(HOSTS),
    repr([(host, index % 7) for index, host in enumerate(HOSTS)]),
    repr([(host, index / 3 - 10) for index, host in enumerate(HOSTS)]),
    repr([(host, 10 ** 30) for host in HOSTS[:3]]),
    repr([('h1', 1e-05), ('h2', -0.0), ('h3', 2.5e+300)]),
    '[]',
    '[ ]',
    "['h1']",
    "[ 'h1' ,'h2',\n 'h3' ]",
    "[('h1',1),( 'h2' , -2 )]",
    "[('', 0)]",
    "['héte, [x]']",
    "[('h1', 1E5)]",
    "[('h1', 1e999)]",
]

# everything else goes to ast.literal_eval: the value must be the same, or both must fail
OTHER_OUTPUTS = [
    "['h1', 'h2',]",          # a trailing comma
    "['h1' 'h2']",            # Python joins adjacent strings
    "[('h1', 1) ('h2', 2)]",
    "[('h1')]",               # parentheses that only group
    "[(1)]",
    "[('h1',)]",
    "[('h1', 2, 3)]",
    "[('h1', True)]",
    "[('h1', None)]",
    "[('h1', 1_000)]",
    "[('h1', .5)]",
    "[('h1', 5.)]",
    "[('h1', 0x10)]",
    "[('h1', 007)]",
    "[('h1', -(1))]",
    "[('h1', - 1)]",
    "[('h1', +1)]",
    "[('h1', 1j)]",
    "[('h1', NaN)]",
    "[('h1', Infinity)]",
    "[('h1', inf)]",
    '["h1"]',
    "['it\\'s']",
    "['a\\nb']",
    "['a\\/b']",            # JSON reads \/ as /, Python keeps the backslash
    "['tab\tinside']",
    "['form feed'\x0c]",
    "['h1'\t]",
    "[['h1']]",
    "[1, 2]",
    "('h1', ['h2'])",
    "{'h1', 'h2'}",
    "['h1'",
    "'h1']",
    "['(', ')']",
    "['h1'] + ['h2']",
    "[x]",
    "<html>not a literal</html>",
]

FRAGMENTS = ['[', ']', '(', ')', ',', ' ', '\t', '\n', "'h1'", "'a b'", "''", '"h2"', "'('", '1', '-2',
             '0', '00', '0.5', '1e3', '.5', '5.', '-', 'True', 'None', '{', '}', '\\', "'", '_', 'x']
NUMBERS = ['0', '7', '-3', '10', '0.25', '-1.5', '2e3', '1E-2', '-0', '00', '1.', '.5', '1_0', '0x1']
SPACES = ['', '', ' ', '  ', '\n', '\t']


def random_output(chooser):
    """A list of host IDs or of pairs, as a plugin might print it, sometimes with a random
    fragment inserted somewhere."""
    def space():
        return chooser.choice(SPACES)

    def item(pairs):
        string = "'%s'" % chooser.choice(['h1', 'a b', '', 'x(', 'é'])
        if not pairs:
            return string
        return '(%s%s%s,%s%s%s)' % (space(), string, space(), space(), chooser.choice(NUMBERS), space())
    pairs = chooser.random() < 0.5
    text = '[%s%s%s]' % (space(), (space() + ',' + space()).join(
        item(pairs) for _item in range(chooser.randint(0, 4))), space())
    if chooser.random() < 0.4:
        position = chooser.randint(0, len(text))
        text = text[:position] + chooser.choice(FRAGMENTS) + text[position:]
    return text


def as_lists(value):
    """literal_eval's value with tuples as lists, as read_literal gives them."""
    if isinstance(value, (list, tuple)):
        return [as_lists(item) for item in value]
    return value


def outcome(read, text):
    try:
        return 'value', as_lists(read(text))
    except Exception:   # literal_eval raises several kinds; which one does not matter
        return 'failure', None


@pytest.mark.parametrize('text', SIMPLE_OUTPUTS)
def test_repr_output_of_filters_and_weights_is_read_through_json(proxy_module, text):
    assert proxy_module.SIMPLE_LIST.fullmatch(text)
    assert outcome(proxy_module.read_literal, text) == ('value', as_lists(ast.literal_eval(text)))


@pytest.mark.parametrize('text', OTHER_OUTPUTS)
def test_other_output_reads_as_literal_eval_reads_it(proxy_module, text):
    assert outcome(proxy_module.read_literal, text) == outcome(ast.literal_eval, text)


def test_random_output_reads_as_literal_eval_reads_it(proxy_module):
    chooser = random.Random(4)
    through_json = 0
    for _attempt in range(20000):
        if chooser.random() < 0.5:
            text = random_output(chooser)
        else:
            text = ''.join(chooser.choice(FRAGMENTS) for _fragment in range(chooser.randint(1, 12)))
        through_json += bool(proxy_module.SIMPLE_LIST.fullmatch(text))
        assert outcome(proxy_module.read_literal, text) == outcome(ast.literal_eval, text), repr(text)
    assert through_json > 2000   # the comparison covered the JSON reading, not only the fallback


@pytest.mark.parametrize('text', [
    "[('h1', " + '1' * 5000 + 'x',
    '[' + "'h1', " * 20000 + 'x',
    '[' + "('h1', 1), " * 20000 + "('h1', 1 1)]",
])
def test_reading_never_backtracks_into_exponential_time(proxy_module, text):
    started = time.monotonic()
    proxy_module.SIMPLE_LIST.fullmatch(text)
    assert time.monotonic() - started < 1
