"""Bounded YAML: every hostile shape is one line naming the file, in bounded time and memory."""

import time

import pytest

from up2u_jupyter.yamlio import MAX_DEPTH, YamlError, load_yaml, read_yaml_file


def refused(text):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "f.yaml")
    message = str(caught.value)
    assert message.startswith("f.yaml: ") and "\n" not in message
    return message


def test_plain_yaml_with_shared_anchors_loads():
    assert load_yaml("a: &x {b: 1}\nc: *x\nd: [1, 2.5, s]", "f") == {
        "a": {"b": 1},
        "c": {"b": 1},
        "d": [1, 2.5, "s"],
    }


def test_an_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    started = time.perf_counter()
    assert "aliases are expanded" in refused("\n".join(lines))
    assert time.perf_counter() - started < 2


def test_a_recursive_alias_is_refused():
    assert "refers to itself" in refused("&a [*a]")


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_nesting_is_refused_before_the_parser_recurses(levels):
    assert f"nested deeper than {MAX_DEPTH}" in refused("a: " + "[" * levels + "]" * levels)


def test_duplicate_keys_name_both_lines():
    message = refused("hub:\n  a: 1\nproxy: {}\nhub:\n  b: 2\n")
    assert "duplicate key 'hub' (first at line 1, again at line 4)" in message


@pytest.mark.parametrize("text", ["a: .nan", "a: -.inf", "a: .Inf"])
def test_non_finite_numbers_are_refused(text):
    assert "not a finite number" in refused(text)


def test_an_integer_too_long_to_convert_is_refused():
    assert "an integer of 5000 digits" in refused("a: " + "9" * 5000)


def test_too_many_values_and_too_large_documents_are_refused():
    assert "more than 50000 values" in refused("".join(f"k{i}: 1\n" for i in range(60_000)))
    assert "larger than 1 MiB" in refused("a: " + "x" * (2 * 1024 * 1024))


def test_python_tags_and_control_characters_are_refused_without_echo():
    assert "a tag this reader does not accept" in refused("!!python/object:os.system x")
    message = refused("a: \x1b[31mred")
    assert "\x1b" not in message and "control character" in message


def test_key_with_escape_sequences_is_shown_escaped():
    message = refused('"k\\x1b[2J": 1\n"k\\x1b[2J": 2')
    assert "\x1b" not in message and "\\x1b" in message


def test_files_that_are_not_text_or_too_big_are_refused(tmp_path):
    binary = tmp_path / "v.yaml"
    binary.write_bytes(b"a: 1\x00\xff")
    with pytest.raises(YamlError, match=r"not UTF-8|NUL"):
        read_yaml_file(binary)
    with pytest.raises(YamlError, match="not a regular file"):
        read_yaml_file(__import__("pathlib").Path("/dev/zero"), "zero")
    fifo = tmp_path / "fifo.yaml"
    __import__("os").mkfifo(fifo)
    with pytest.raises(YamlError, match="not a regular file"):
        read_yaml_file(fifo)
    with pytest.raises(YamlError, match="no such file"):
        read_yaml_file(tmp_path / "missing.yaml")


def test_bad_numbers_can_be_kept_to_name_every_key():
    from up2u_jupyter.yamlio import bad_numbers

    tree = load_yaml("a: {b: .nan}\nc: [1, " + "9" * 50 + "]\n", "f", keep_bad_numbers=True)
    found = [(path, number.line, number.reason) for path, number in bad_numbers(tree)]
    assert found == [
        (("a", "b"), 1, "'.nan' is not a finite number"),
        (("c", "1"), 2, "an integer of 50 digits"),
    ]


@pytest.mark.parametrize(
    "text", ["2023-02-28", "2001-12-14t21:59:43.10-05:00", "2002-12-14 21:59:43.10Z"]
)
def test_date_like_scalars_stay_strings_as_helm_and_pulumi_read_them(text):
    # an image tag in the docker-stacks style, unquoted, as real z2jh values files write it
    assert load_yaml(f"tag: {text}\nquoted: '{text}'", "f") == {"tag": text, "quoted": text}
