"""The semantic layer: scenes (what is in front of the camera) with their labels.

    procedural_blood_smear / procedural_aerial ─► training data ─► training (DDPM, accelerate, EMA)
        ─► sampling (DDIM / DPM-Solver++, classifier-free guidance) ─► resize ─► scenes + labels/masks
    evaluator (a small CNN trained on procedural scenes) ─► evaluation (class consistency, mask IoU, FID-like)

Modules: ``raster`` (soft shapes), ``stain`` (Beer–Lambert Giemsa), ``procedural_blood_smear``,
``procedural_aerial``, ``domains``, ``diffusion_config``, ``diffusion_model``, ``training``, ``sampling``,
``resize``, ``generation``, ``evaluator``, ``metrics``, ``evaluation``. Everything here is a function of
tensors and configs; files (checkpoints, scenes) are the engine's (``engine.semantic_checkpoints``,
``engine.generated_files``). The default checkpoints live in ``semantic/checkpoints/<domain>/`` with a
model card each.
"""
