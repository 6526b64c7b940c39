from grassroots.routing import text


def test_normalise_folds_width_spaces_and_spreadsheet_escapes():
    assert text.normalise("ＡＢＣ　１２３，ＫＴＶ！") == "ABC 123,KTV!"
    assert text.normalise("张市长：_x000D_\n\u3000\u3000你好！\xa0\t 我住") == "张市长: 你好! 我住"
    assert text.normalise("") == ""


def test_boilerplate_is_removed_but_the_addressee_kept():
    cleaned = text.strip_boilerplate(text.normalise("尊敬的李局长：您好！我单位拖欠工资。谢谢！"))
    assert "尊敬的" not in cleaned and "您好" not in cleaned and "谢谢" not in cleaned
    assert "李局长" in cleaned and "拖欠工资" in cleaned
    assert (
        text.strip_boilerplate("Dear Sir, the streetlight is broken. Thank you")
        == ", the streetlight is broken."
    )


def test_numbers_are_masked():
    assert text.mask_digits("2019年3月拖欠12,000元，电话0731-8888") == "0年0月拖欠0元，电话0-0"


def test_chinese_words_come_from_jieba_without_stop_words():
    tokens = text.words("我们公司拖欠工资三个月了，怎么办？")
    assert "公司" in tokens
    assert any("工资" in token for token in tokens)
    assert not {"我们", "了", "怎么办", "，", "?"} & set(tokens)


def test_english_words_are_lower_cased_without_stop_words():
    assert text.words("The Street-Light is BROKEN on Main Road") == [
        "street",
        "light",
        "broken",
        "main",
        "road",
    ]


def test_char_ngrams_stay_inside_runs():
    grams = text.chars("路灯，坏了")
    assert {"路", "路灯", "坏了"} <= set(grams)
    assert not any("," in gram or " " in gram for gram in grams)
    assert "灯坏" not in grams
    assert len([gram for gram in text.chars("abcd") if len(gram) == 3]) == 2


def test_first_sentence_is_used_as_a_title():
    assert text.first_sentence("路灯坏了。已经一周没人修！") == "路灯坏了"
    assert text.first_sentence("The streetlight is out\nsince Monday") == "The streetlight is out"
    assert len(text.first_sentence("很" * 200)) == 60


def test_jieba_is_initialised_once_with_its_cache_under_var():
    first = text.segmenter()
    assert first is text.segmenter()
    assert first.initialized
    assert str(text.var_dir()) in first.tmp_dir
