"""Prompt bank: paraphrase classes that steer fusion, split into train and validation wording.

Each class lists 33 paraphrases: the first 28 are for training, the last 5 are held out for
validation. Classes tied to an input degradation name the degradation that training applies to
the inputs when one of the class's prompts is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

N_VAL = 5


@dataclass(frozen=True)
class PromptClass:
    """A named group of paraphrases and the training degradation it describes (if any)."""

    name: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    degradation: str | None


def _make(name: str, degradation: str | None, phrases: tuple[str, ...]) -> PromptClass:
    return PromptClass(name, phrases[:-N_VAL], phrases[-N_VAL:], degradation)


_DEFAULT = (
    "fuse the infrared and visible images",
    "combine thermal and RGB views",
    "merge the IR and visible frames",
    "fuse",
    "blend infrared with the colour image",
    "standard fusion",
    "Produce a single image that combines the thermal and visible information.",
    "general-purpose IR + RGB fusion",
    "mix the two cameras into one picture",
    "fuse thermal and daylight camera frames",
    "combine both sensors",
    "Please merge the infrared frame with the visible frame.",
    "balanced fusion of infrared and visible",
    "normal fusion, no special requirements",
    "create a fused view from the IR and colour cameras",
    "join the thermal and visible images into one",
    "default fusion mode",
    "Fuse the two inputs evenly, nothing special about this scene.",
    "integrate infrared and visible content",
    "thermal plus RGB, fused",
    "fuse the two camera feeds as usual",
    "regular infrared and visible fusion",
    "Give me the usual combined thermal and colour image.",
    "no particular emphasis, just fuse",
    "everyday fusion of IR and RGB",
    "merge both modalities with equal weight",
    "ordinary scene, fuse normally",
    "combine the infrared and daylight images",
    "put the infrared and visible pictures together into one image",
    "plain IR-visible fusion",
    "Combine what the thermal camera and the colour camera see.",
    "just fuse both streams",
    "merge the heat image and the ordinary camera image evenly",
)

_HIGHLIGHT_THERMAL = (
    "highlight warm pedestrians",
    "make hot objects stand out",
    "emphasise heat sources",
    "Bring out the warm targets from the thermal camera.",
    "make people and animals pop using the infrared",
    "thermal targets first",
    "stress hot spots in the fused image",
    "Highlight anything that is warmer than its surroundings.",
    "make the pedestrians glow",
    "emphasize warm bodies",
    "show running engines and exhaust pipes clearly",
    "find the people, make them bright",
    "salient thermal targets, keep them prominent",
    "Make warm vehicles and people clearly visible against the background.",
    "boost hot regions",
    "target-focused fusion: warm objects should dominate",
    "heat signatures front and centre",
    "I need to spot living beings quickly, so emphasise their body heat.",
    "accent the warm things",
    "search and rescue, make body heat obvious",
    "pedestrians at night must be obvious",
    "Warm objects should be easy to spot in the result.",
    "accentuate the heat of people and vehicles",
    "bring hot targets to the foreground",
    "thermal saliency first",
    "make warm animals stand out on the road",
    "the infrared targets matter most",
    "emphasise body heat",
    "let the hottest objects dominate the output",
    "Please emphasise thermal targets such as people and cars.",
    "warm targets should be the brightest thing in the picture",
    "highlight heat",
    "surveillance mode, pedestrians must pop out",
)

_PRESERVE_VISIBLE = (
    "preserve visible texture and colour",
    "keep the RGB details",
    "keep the colours natural",
    "Retain the fine texture from the visible camera.",
    "visible detail matters most",
    "don't lose the colour information",
    "favour the daylight camera",
    "keep edges and textures from the colour image",
    "The visible image should dominate; keep its colours faithful.",
    "preserve color fidelity",
    "stay close to the RGB look",
    "texture first",
    "keep road markings and signs as the visible camera shows them",
    "maintain the natural appearance of the scene",
    "mostly the colour camera, just a little infrared",
    "Preserve the fine visible structure such as foliage and brickwork.",
    "true colours please",
    "keep what the eye would see",
    "retain visible-band detail and hue",
    "don't wash out the colours with thermal",
    "keep the colour image's fine detail",
    "Do not let the infrared overwrite the visible textures.",
    "faithful colours and sharp visible edges",
    "the RGB look should be kept",
    "visible texture is the priority",
    "hold on to the daylight camera's details",
    "keep foliage, brick and sign detail from RGB",
    "colour accuracy matters",
    "the output should look like the colour photo, with its textures intact",
    "protect RGB texture",
    "Keep the visible image's colour and detail as much as possible.",
    "natural colours and crisp visible texture",
    "lean on the visible camera for detail",
)

_VIS_LOW_LIGHT = (
    "visible camera is in low light",
    "it is night, the RGB image is dark",
    "night driving, RGB too dark",
    "underexposed visible image",
    "The colour camera can barely see anything in this darkness.",
    "low light",
    "dim scene, visible frame is murky",
    "the visible image is too dark",
    "nighttime, colour camera struggles",
    "poorly lit street at night",
    "RGB is underexposed, rely on infrared where it is dark",
    "dusk, the visible camera lost most detail",
    "dark visible input",
    "The visible sensor is starved of light.",
    "it's pitch black for the daylight camera",
    "night scene, lift the visible shadows using thermal",
    "visible frame is nearly black",
    "evening, not enough light for RGB",
    "low-illumination visible image",
    "unlit parking lot, colour image very dark",
    "insufficient exposure on the visible camera",
    "The visible image is too dark to see the road.",
    "poor illumination for the colour sensor",
    "RGB brightness is very low",
    "the daylight camera lacks light",
    "visible camera exposure is too short, image is dim",
    "little light reaches the RGB sensor",
    "the visible scene is shrouded in darkness",
    "the RGB frame was captured in darkness",
    "night-time footage, the colour view is too dim",
    "Visible exposure is far too low.",
    "dark conditions for the visible camera",
    "the colour camera image is underlit",
)

_VIS_OVEREXPOSURE = (
    "visible camera is overexposed",
    "glare on the RGB image",
    "washed-out visible image",
    "The colour image is blown out by strong light.",
    "oncoming headlights dazzle the visible camera",
    "overexposure",
    "sun glare, RGB saturated",
    "the visible frame is too bright",
    "highlights clipped in the colour image",
    "blinding light in the visible view",
    "RGB washed out by sunlight",
    "The daylight camera is saturated and loses detail in bright areas.",
    "overexposed visible input",
    "driving into the sun, colour image is white",
    "visible sensor saturated",
    "too much light for the RGB camera",
    "headlight glare hides the road in the visible image",
    "bleached visible frame",
    "The visible image has blown highlights.",
    "bright flare across the colour view",
    "excessive exposure on the visible camera",
    "The colour image is far too bright to see the road.",
    "too much illumination for the colour sensor",
    "RGB brightness is way too high",
    "the daylight camera is flooded with light",
    "visible camera exposure is too long, image is white",
    "harsh sunlight saturates the RGB sensor",
    "the visible scene is bleached by light",
    "the RGB image is overexposed and whited out",
    "strong backlight, visible camera washed out",
    "Visible exposure is much too high.",
    "blown-out colour frame",
    "glaring light spoils the visible picture",
)

_IR_NOISE = (
    "infrared is noisy",
    "the thermal image is grainy",
    "stripe noise in the IR frame",
    "The infrared camera shows heavy sensor noise.",
    "noisy thermal",
    "IR has speckle noise",
    "denoise the infrared",
    "thermal frame full of static",
    "vertical stripes across the infrared image",
    "grainy IR input",
    "The thermal sensor adds lots of random noise.",
    "fixed-pattern noise in thermal",
    "infrared is snowy",
    "noise in the heat image",
    "clean up the noisy thermal camera",
    "IR frame is speckled",
    "column noise from the thermal sensor",
    "Suppress the grain in the infrared image.",
    "the thermal camera output is very noisy",
    "uncooled IR sensor, lots of noise",
    "the thermal camera is noisy",
    "Random speckles cover the infrared frame.",
    "IR sensor noise is high",
    "grain and stripes in the thermal view",
    "the heat image is corrupted by noise",
    "denoise thermal input",
    "horizontal banding noise in IR",
    "the infrared frame has noisy pixels everywhere",
    "the infrared picture is full of grain",
    "striping artefacts in the thermal image",
    "Noise is corrupting the infrared frame.",
    "noisy heat camera",
    "thermal image looks sandy and speckled",
)

_IR_LOW_CONTRAST = (
    "the thermal image has low contrast",
    "washed-out thermal",
    "infrared looks flat",
    "The IR frame has very little contrast between targets and background.",
    "low contrast infrared",
    "thermal image is all one grey",
    "IR is faded",
    "everything in the thermal view has a similar temperature",
    "flat thermal input",
    "The infrared image lacks contrast, so targets are hard to tell apart.",
    "thermal crossover, IR is featureless",
    "IR histogram is squeezed",
    "dull, low-contrast infrared",
    "weak thermal contrast",
    "the heat image is murky and flat",
    "infrared contrast is poor",
    "thermal frame looks washed out",
    "After rain the thermal scene is uniform and low in contrast.",
    "IR dynamic range is compressed",
    "the thermal image barely distinguishes anything",
    "the thermal camera shows poor contrast",
    "Infrared contrast is very weak in this scene.",
    "IR looks grey and flat",
    "thermal targets barely differ from the background",
    "little temperature contrast in the IR frame",
    "the infrared image is low in dynamic range",
    "flat, foggy thermal view",
    "the heat image contrast is too low",
    "the infrared image is dull with little contrast",
    "low-contrast heat image",
    "The thermal camera shows almost no temperature differences.",
    "faded, flat IR frame",
    "thermal view lacks contrast",
)

PROMPT_CLASSES: dict[str, PromptClass] = {
    pc.name: pc
    for pc in (
        _make("default", None, _DEFAULT),
        _make("highlight_thermal", None, _HIGHLIGHT_THERMAL),
        _make("preserve_visible", None, _PRESERVE_VISIBLE),
        _make("vis_low_light", "vis_low_light", _VIS_LOW_LIGHT),
        _make("vis_overexposure", "vis_overexposure", _VIS_OVEREXPOSURE),
        _make("ir_noise", "ir_noise", _IR_NOISE),
        _make("ir_low_contrast", "ir_low_contrast", _IR_LOW_CONTRAST),
    )
}

DEFAULT_PROMPT = PROMPT_CLASSES["default"].train[0]


def normalise(prompt: str) -> str:
    """Lower-case and collapse whitespace, for matching prompts."""
    return " ".join(prompt.lower().split())


_CLASS_BY_PROMPT = {
    normalise(p): pc.name for pc in PROMPT_CLASSES.values() for p in pc.train + pc.val
}


def class_of(prompt: str) -> str | None:
    """Class name of a bank prompt (case and spacing ignored); None for unknown prompts."""
    return _CLASS_BY_PROMPT.get(normalise(prompt))


def all_prompts(split: str) -> list[tuple[str, str]]:
    """(prompt, class name) for every prompt of the `"train"` or `"val"` split, in class order."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    return [(p, pc.name) for pc in PROMPT_CLASSES.values() for p in getattr(pc, split)]
