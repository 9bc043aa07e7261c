"""Procedural scenes: every class renders, morphology and colours per DOMAIN.md, masks match the cars."""

import math

import pytest
import torch
from scipy import ndimage

from physical.checks import InputError
from semantic.procedural_aerial import CAR_PX, aerial_tiles, render_aerial
from semantic.procedural_blood_smear import CELL_CODES, MORPHOLOGY, balanced_codes, blood_smear, render_smear
from semantic.stain import transmittance


def g(i):
    return torch.Generator().manual_seed(i)


def test_stain_beer_lambert_known_values():
    t = transmittance({"eosin": torch.full((2, 2), 0.5), "methyl_blue": torch.full((2, 2), 0.25)})
    od = 0.5 * torch.tensor([0.0928, 0.9541, 0.2831]) + 0.25 * torch.tensor([0.8348, 0.5136, 0.1963])
    assert torch.allclose(t[:, 0, 0], 10 ** (-od))
    # doubling the concentration squares the transmittance
    t2 = transmittance({"eosin": torch.full((1, 1), 1.0), "methyl_blue": torch.full((1, 1), 0.5)})
    assert torch.allclose(t2[:, 0, 0], t[:, 0, 0] ** 2, atol=1e-6)
    with pytest.raises(InputError, match="unknown stain"):
        transmittance({"dab": torch.ones(1, 1)})


@pytest.mark.parametrize("code", CELL_CODES)
def test_every_class_renders(code):
    layers = render_smear(code, g(1), 64, pixel_nm=650.0)
    assert layers.scene.shape == (3, 64, 64) and layers.scene.dtype == torch.float32
    assert float(layers.scene.min()) >= 0 and float(layers.scene.max()) <= 1
    assert layers.cell.sum() > 20  # a leukocyte is there
    again = render_smear(code, g(1), 64, pixel_nm=650.0)
    assert torch.equal(layers.scene, again.scene)


def _stats(code, seeds=range(3)):
    """(cell area, nucleus area) in pixels at 162.5 nm/px for a few seeds."""
    out = []
    for s in seeds:
        layers = render_smear(code, g(s), 256)
        out.append((float((layers.cell > 0.5).sum()), float((layers.nucleus > 0.5).sum())))
    return out


def test_sizes_and_nucleus_fractions_follow_domain():
    px_um = 1000 / 162.5
    stats = {code: _stats(code) for code in ("LYT", "MON", "NGS")}
    for code, rows in stats.items():
        lo, hi = MORPHOLOGY[code].diameter_um
        for cell, _nuc in rows:
            d_um = 2 * math.sqrt(cell / math.pi) / px_um
            assert 0.85 * lo <= d_um <= 1.1 * hi, (code, d_um)
    lyt = [n / c for c, n in stats["LYT"]]
    ngs = [n / c for c, n in stats["NGS"]]
    assert min(lyt) > 0.55, lyt  # lymphocyte nucleus fills most of the cell
    assert max(ngs) < 0.4, ngs  # lobes joined by strands
    assert sum(c for c, _ in stats["MON"]) > 2 * sum(c for c, _ in stats["LYT"])


def test_red_cell_diameter_and_pallor():
    # a field with a tiny leukocyte: red cells dominate; their size at 162.5 nm/px ≈ 46 px
    layers = render_smear("LYT", g(3), 256)
    green = layers.scene[1]
    rbc = (green < 0.6) & (layers.cell < 0.1)
    lab, n = ndimage.label(rbc.numpy())
    sizes = ndimage.sum(rbc.numpy(), lab, range(1, n + 1))
    # isolated, whole cells (not touching the border, not merged)
    whole = [s for i, s in enumerate(sizes, 1) if 0.5 * math.pi * 23**2 < s < 1.4 * math.pi * 23**2
             and not ((lab == i)[0].any() or (lab == i)[-1].any() or (lab == i)[:, 0].any() or (lab == i)[:, -1].any())]
    assert whole, sizes
    d = [2 * math.sqrt(s / math.pi) for s in whole]
    assert all(38 < v < 52 for v in d), d


def _granule_rgb(code):
    layers = render_smear(code, g(5), 256)
    sel = (layers.granules > 0.6) & (layers.nucleus < 0.1)
    if code == "BAS":
        sel = layers.granules > 0.6
    return layers.scene[:, sel].mean(1)


def test_granule_colours():
    r, gg, b = _granule_rgb("EOS").tolist()
    assert r > gg and r > b and b < 0.6 * r  # red-orange: red transmitted, green and blue absorbed
    r, gg, b = _granule_rgb("BAS").tolist()
    assert b > r and r < 0.35  # blue-black
    r, gg, b = _granule_rgb("NGS").tolist()
    assert r > 0.5 and b > gg  # pale lilac


def test_lymphocyte_cytoplasm_is_blue_neutrophil_pink():
    def cyto(code):
        layers = render_smear(code, g(7), 256)
        sel = (layers.cell > 0.9) & (layers.nucleus < 0.05) & (layers.granules < 0.05)
        return layers.scene[:, sel].mean(1)

    r, gg, b = cyto("LYT").tolist()
    assert b > r  # sky blue
    r, gg, b = cyto("NGS").tolist()
    assert r > gg and b > gg  # pink


def test_blood_smear_batch_and_errors():
    codes = balanced_codes(3)
    assert codes == list(CELL_CODES[:3])
    x = blood_smear(codes, [g(i) for i in range(3)], 32, 1300.0)
    assert x.shape == (3, 3, 32, 32)
    # sample i does not depend on the batch
    assert torch.equal(x[2], blood_smear(codes[2:], [g(2)], 32, 1300.0)[0])
    with pytest.raises(InputError, match="unknown cell class 'XYZ'; expected one of: BAS"):
        render_smear("XYZ", g(0))
    with pytest.raises(InputError, match="one generator per scene"):
        blood_smear(["LYT"], [g(0), g(1)])


def test_aerial_masks_match_cars():
    found = 0
    for seed in range(4):
        layers = render_aerial(g(seed), 256)
        mask = layers.mask[0].numpy() > 0.5
        lab, n = ndimage.label(mask)
        area = CAR_PX[0] * CAR_PX[1]
        for i in range(1, n + 1):
            comp = lab == i
            if comp[0].any() or comp[-1].any() or comp[:, 0].any() or comp[:, -1].any():
                continue
            found += 1
            assert 0.8 * area < comp.sum() < 1.15 * area, comp.sum()  # one 75 × 30 px car
        # every car centre that lies on the tile is inside the mask
        for cy, cx, _h, _c in layers.cars.tolist():
            if 2 <= cy < 254 and 2 <= cx < 254:
                assert mask[int(round(cy)), int(round(cx))]
    assert found >= 5


def test_aerial_tiles_scale_and_determinism():
    a, m = aerial_tiles([g(1), g(2)], 64, gsd_cm=24.0)
    assert a.shape == (2, 3, 64, 64) and m.shape == (2, 1, 64, 64)
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    b, _ = aerial_tiles([g(2)], 64, gsd_cm=24.0)
    assert torch.equal(a[1], b[0])
    with pytest.raises(InputError, match="gsd_cm > 0"):
        render_aerial(g(0), 64, gsd_cm=0)
