import pytest

from grassroots.casework.categories import category_catalogue_load


@pytest.fixture
def catalogue(world, tmp_path):
    """A small category tree (城乡建设/市政/路灯, 民政/救助/低保) loaded through the catalogue loader."""
    source = tmp_path / "tree.csv"
    source.write_text("一级分类,二级分类,三级分类\n城乡建设,市政,路灯\n民政,救助,低保\n", encoding="utf-8")
    category_catalogue_load(actor=None, path=source)
