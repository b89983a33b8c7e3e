"""Generate a deterministic demo catalogue and interaction log for a general online shop.

Writes ``products.csv`` (product_id,title,category,description,price,img_url) and
``interactions.csv`` (user_id,product_id,interaction_type,ts) into the output folder.

The data is synthetic but has the structure a recommender should be able to exploit:

* products of one category share vocabulary, and near-duplicate families exist (the same
  base product in several colours/sizes), so content similarity is meaningful;
* users have 1-3 favourite categories that drift slowly towards a new one, so recent
  events are more predictive than old ones;
* popularity inside a category is Zipf-like;
* every product has 2-4 complements, mostly in related categories, and carting a product
  often leads to viewing (and buying) its complements in the same session;
* a view -> click -> add_to_cart -> purchase funnel, with sessions clustered in time.

Only numpy, pandas and the standard library are used; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from indexing.contract.settings import PROJECT_ROOT

DEFAULT_PRODUCTS = 5_000
USERS_PER_PRODUCT = 0.6
DEFAULT_SEED = 42
DEFAULT_OUT = PROJECT_ROOT / "data"

WINDOW_DAYS = 90
WINDOW_END = np.datetime64("2026-10-31T23:59:59")
WINDOW_START = WINDOW_END + np.timedelta64(1, "s") - np.timedelta64(WINDOW_DAYS, "D")
WINDOW_SECONDS = WINDOW_DAYS * 86_400

IMG_URL = "https://img.example.com/products/{}.jpg"
INTERACTION_TYPES = ("view", "click", "add_to_cart", "purchase")


def _v(text: str) -> tuple[str, ...]:
    """Split a "|"-separated vocabulary string."""
    return tuple(s.strip() for s in text.split("|"))


@dataclass(frozen=True)
class CategorySpec:
    """Vocabulary and price model of one category."""

    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    materials: tuple[str, ...]
    nouns: tuple[str, ...]
    variants: tuple[str, ...]  # colours, flavours, formats ... (the near-duplicate axis)
    sizes: tuple[str, ...]  # ascending, so that price can grow with the size rank
    features: tuple[str, ...]  # phrases that follow a noun: "with ...", "designed to ..."
    benefits: tuple[str, ...]  # full sentences
    price_median: float
    price_sigma: float
    related: tuple[str, ...]


_COLOURS = "black|white|grey|navy|sage green|terracotta|mustard|blush pink"

CATEGORIES: dict[str, CategorySpec] = {
    "Kitchen": CategorySpec(
        brands=_v("Cookwell|Hearth & Co|Panora|Ladle Lane|Zestio"),
        adjectives=_v(
            "classic|professional|compact|heavy-duty|everyday|premium|non-slip|stackable"
        ),
        materials=_v("stainless steel|cast iron|bamboo|ceramic|borosilicate glass|silicone"),
        nouns=_v(
            "saucepan|frying pan|chef's knife|cutting board|mixing bowl set|measuring cups|"
            "colander|spatula set|storage jars|kettle|baking tray|salad spinner"
        ),
        variants=_v(_COLOURS),
        sizes=_v("Small|Medium|Large|Family Size"),
        features=_v(
            "with a non-stick ceramic coating|with riveted stay-cool handles|"
            "with an ergonomic soft-grip handle|designed for all hobs including induction|"
            "with a pouring lip and measuring marks|with airtight snap-lock lids"
        ),
        benefits=_v(
            "Dishwasher safe for quick clean-up.|Oven safe up to 220 °C.|"
            "Food-grade and BPA free.|Nests neatly to save cupboard space.|"
            "Heats evenly with no hot spots."
        ),
        price_median=25.0,
        price_sigma=0.6,
        related=_v("Grocery|Home Decor|Party Supplies|Health"),
    ),
    "Garden": CategorySpec(
        brands=_v("GreenThumb|Fernleaf|Yardcraft|Bloomery|Terrabel"),
        adjectives=_v(
            "weatherproof|lightweight|heavy-duty|ergonomic|foldable|rust-resistant|decorative"
        ),
        materials=_v("galvanised steel|terracotta|recycled plastic|acacia wood|rattan|aluminium"),
        nouns=_v(
            "planter|watering can|garden hose|pruning shears|raised bed|bird feeder|hose reel|"
            "garden kneeler|wheelbarrow|trowel set|plant pot|garden bench"
        ),
        variants=_v("forest green|terracotta|slate grey|black|sand|white|olive"),
        sizes=_v("Small|Medium|Large|XL"),
        features=_v(
            "with drainage holes and a removable tray|with a comfortable cushioned grip|"
            "designed to fold flat for winter storage|with UV-stable colour that will not fade|"
            "with a brass hose connector|with sharpened carbon steel blades"
        ),
        benefits=_v(
            "Built to last through frost, rain and summer sun.|Easy to assemble without tools.|"
            "Ideal for patios, balconies and borders.|Keeps herbs and flowers happy all season."
        ),
        price_median=30.0,
        price_sigma=0.7,
        related=_v("Tools|Home Decor|Lighting|Sports & Outdoors"),
    ),
    "Electronics": CategorySpec(
        brands=_v("Voltix|Lumina|Auralink|Nexon|Kestrel"),
        adjectives=_v(
            "wireless|portable|smart|noise-cancelling|fast-charging|compact|rugged|ultra-slim"
        ),
        materials=_v("Bluetooth|USB-C|Wi-Fi|dual-mode|hi-res|low-latency"),
        nouns=_v(
            "headphones|earbuds|speaker|power bank|charger|webcam|smartwatch|streaming stick|"
            "HDMI cable|keyboard|mouse|tablet stand"
        ),
        variants=_v("black|white|silver|space grey|midnight blue|rose gold"),
        sizes=_v("Standard|Plus|Pro|Max"),
        features=_v(
            "with up to 30 hours of battery life|with a built-in microphone for calls|"
            "with fast charging over USB-C|designed to pair instantly with phones and laptops|"
            "with voice assistant support|with a braided tangle-free cable"
        ),
        benefits=_v(
            "Works with Android, iOS and Windows.|Includes a 2-year manufacturer warranty.|"
            "Charges fully in under two hours.|Comes with a protective travel pouch."
        ),
        price_median=45.0,
        price_sigma=0.8,
        related=_v("Gaming|Office|Music|Automotive"),
    ),
    "Toys": CategorySpec(
        brands=_v("Playfully|Tumble Town|BrightBlocks|Wonderkin|Kiddo Works"),
        adjectives=_v(
            "educational|colourful|musical|interactive|classic|creative|glow-in-the-dark"
        ),
        materials=_v("wooden|plush|magnetic|soft-foam|eco-plastic|felt"),
        nouns=_v(
            "building blocks|puzzle|dinosaur figure|race car|doll's house|train set|teddy bear|"
            "marble run|play kitchen|stacking rings|kite|science kit"
        ),
        variants=_v("red|blue|yellow|green|pink|rainbow|pastel"),
        sizes=_v("Ages 1+|Ages 3+|Ages 5+|Ages 8+"),
        features=_v(
            "with rounded edges safe for little hands|with over 100 pieces|"
            "designed to build fine motor skills|with sounds and lights|"
            "with a storage bag for easy tidying"
        ),
        benefits=_v(
            "Tested to EN 71 toy safety standards.|A great birthday or holiday gift.|"
            "Batteries included.|Sparks imaginative play for hours."
        ),
        price_median=20.0,
        price_sigma=0.6,
        related=_v("Baby|Party Supplies|Crafts|Books|Gaming"),
    ),
    "Books": CategorySpec(
        brands=_v("Harbor Press|Quill & Lantern|Northlight Books|Pagewise|Bramble House"),
        adjectives=_v(
            "illustrated|bestselling|complete|beginner's|pocket|updated|collector's|essential"
        ),
        materials=_v("Italian|vegan|mountain|Scandinavian|coastal|weekend"),
        nouns=_v(
            "cookbook|travel guide|mystery novel|field guide|history|poetry collection|"
            "picture book|gardening handbook|fantasy saga|photography book|memoir|puzzle book"
        ),
        variants=_v("paperback|hardcover|large print|spiral-bound|boxed set|audio CD"),
        sizes=_v("192 pages|256 pages|320 pages|448 pages"),
        features=_v(
            "with full-colour photographs throughout|with maps and practical tips|"
            "translated into 20 languages|with a foreword by the author|with a ribbon bookmark"
        ),
        benefits=_v(
            "Perfect for a quiet weekend read.|A thoughtful gift for curious readers.|"
            "Printed on FSC-certified paper.|Shortlisted for a national book award."
        ),
        price_median=14.0,
        price_sigma=0.4,
        related=_v("Stationery|Toys|Music|Crafts"),
    ),
    "Sports & Outdoors": CategorySpec(
        brands=_v("Summitline|Trailforge|Aquilo|Peakform|Riverstone"),
        adjectives=_v("lightweight|waterproof|breathable|insulated|packable|ultralight|all-season"),
        materials=_v(
            "ripstop nylon|merino wool|neoprene|aluminium|recycled polyester|carbon fibre"
        ),
        nouns=_v(
            "tent|sleeping bag|yoga mat|water bottle|trekking poles|dumbbell set|"
            "resistance bands|cycling helmet|running jacket|camping stove|hiking daypack|headlamp"
        ),
        variants=_v("black|navy|olive|orange|charcoal|teal|red"),
        sizes=_v("S|M|L|XL"),
        features=_v(
            "with taped seams for wet weather|designed to pack down to the size of a bottle|"
            "with reflective details for low light|with an anti-slip textured surface|"
            "with adjustable straps for a secure fit"
        ),
        benefits=_v(
            "Tested on alpine trails and city runs alike.|Weighs less than you'd expect.|"
            "Easy to pitch, pack and carry.|Machine washable at 30 °C."
        ),
        price_median=40.0,
        price_sigma=0.8,
        related=_v("Shoes|Health|Bags & Luggage|Garden|Lighting"),
    ),
    "Beauty": CategorySpec(
        brands=_v("Lumiere|Pure Petal|Velvetine|Glow & Co|Maris"),
        adjectives=_v(
            "hydrating|nourishing|lightweight|long-lasting|gentle|brightening|fragrance-free"
        ),
        materials=_v("hyaluronic|vitamin C|shea butter|argan oil|aloe vera|rosehip"),
        nouns=_v(
            "face serum|moisturiser|lip balm|hand cream|shampoo|conditioner|body lotion|"
            "face mask|eyeliner|mascara|nail polish|cleanser"
        ),
        variants=_v("rose|nude|berry|coral|clear|lavender|fresh citrus"),
        sizes=_v("15 ml|30 ml|50 ml|100 ml|250 ml"),
        features=_v(
            "with a silky non-greasy finish|designed to absorb in seconds|"
            "suitable for sensitive skin|with a refillable pump bottle|"
            "made to last all day without smudging"
        ),
        benefits=_v(
            "Dermatologically tested.|Cruelty free and never tested on animals.|"
            "Free from parabens and sulphates.|Recyclable glass packaging."
        ),
        price_median=15.0,
        price_sigma=0.6,
        related=_v("Health|Jewelry|Bags & Luggage|Party Supplies"),
    ),
    "Pet Supplies": CategorySpec(
        brands=_v("Pawsome|Whisker & Tail|Barkley|FurFriends|Nibbles"),
        adjectives=_v("chew-resistant|orthopedic|washable|interactive|calming|reflective|no-pull"),
        materials=_v("nylon|memory foam|natural rubber|sisal|fleece|stainless steel"),
        nouns=_v(
            "dog bed|cat scratching post|dog lead|pet bowl|chew toy|cat litter tray|dog harness|"
            "pet carrier|grooming brush|cat tree|dog collar|treat pouch"
        ),
        variants=_v("black|grey|navy|red|teal|camouflage|leopard print"),
        sizes=_v("XS|S|M|L|XL"),
        features=_v(
            "with a non-slip base|designed to keep pets busy for hours|"
            "with padded straps for comfort|with a removable machine-washable cover|"
            "with a quick-release buckle"
        ),
        benefits=_v(
            "Loved by dogs and cats of all sizes.|Vet-recommended design.|"
            "Easy to wipe clean after muddy walks.|Made without harmful chemicals."
        ),
        price_median=18.0,
        price_sigma=0.7,
        related=_v("Grocery|Health|Garden"),
    ),
    "Office": CategorySpec(
        brands=_v("Deskline|Workwell|Ordo|Pinnacle|Ledgerly"),
        adjectives=_v(
            "ergonomic|adjustable|compact|heavy-duty|ventilated|stackable|height-adjustable"
        ),
        materials=_v("mesh|oak veneer|aluminium|steel|recycled cardboard|leatherette"),
        nouns=_v(
            "office chair|standing desk|monitor stand|desk organiser|filing cabinet|footrest|"
            "laptop stand|whiteboard|paper shredder|document tray|desk mat|bookend set"
        ),
        variants=_v("black|white|grey|oak|walnut|charcoal"),
        sizes=_v("Small|Medium|Large|Executive"),
        features=_v(
            "with lumbar support for long working days|with built-in cable management|"
            "designed to set up in under ten minutes|with lockable castors|"
            "with a scratch-resistant surface"
        ),
        benefits=_v(
            "Designed for home offices and busy workplaces.|Meets EN 1335 furniture standards.|"
            "Keeps your desk tidy and clutter free.|Comes with all fixings included."
        ),
        price_median=45.0,
        price_sigma=0.9,
        related=_v("Stationery|Electronics|Lighting|Home Decor"),
    ),
    "Home Decor": CategorySpec(
        brands=_v("Nordhaven|Maison Lune|Oakmere|Casa Verde|Willowby"),
        adjectives=_v("handmade|minimalist|rustic|vintage-style|Scandi|boho|modern|textured"),
        materials=_v("linen|ceramic|rattan|mango wood|brass|velvet|glass"),
        nouns=_v(
            "cushion cover|vase|wall mirror|throw blanket|picture frame|candle holder|"
            "wall clock|rug|table runner|storage basket|plant stand|decorative tray"
        ),
        variants=_v("ivory|sage green|terracotta|navy|mustard|blush pink|charcoal"),
        sizes=_v("Small|Medium|Large|Oversized"),
        features=_v(
            "with a hand-finished glaze|with a hidden zip closure|"
            "designed to bring warmth to any room|with a hanging hook fitted|"
            "with a subtle woven texture"
        ),
        benefits=_v(
            "Each piece is slightly unique.|Pairs well with neutral interiors.|"
            "Wipe clean with a damp cloth.|Ethically made by small workshops."
        ),
        price_median=28.0,
        price_sigma=0.7,
        related=_v("Lighting|Bedding|Garden|Kitchen"),
    ),
    "Jewelry": CategorySpec(
        brands=_v("Aurelle|Stella Mar|Kindred Gold|Opaline|Verity"),
        adjectives=_v(
            "dainty|minimalist|statement|hypoallergenic|vintage-inspired|adjustable|layered"
        ),
        materials=_v("sterling silver|18k gold-plated|rose gold|freshwater pearl|cubic zirconia"),
        nouns=_v(
            "necklace|hoop earrings|stud earrings|bracelet|ring|charm bracelet|anklet|pendant|"
            "cufflinks|brooch|chain|bangle"
        ),
        variants=_v("silver|gold|rose gold|black|pearl white|emerald|sapphire blue"),
        sizes=_v("Petite|Standard|Long|Adjustable"),
        features=_v(
            "with a secure lobster clasp|made not to tarnish or turn skin green|"
            "with a delicate hand-polished finish|presented in a velvet gift box"
        ),
        benefits=_v(
            "Nickel free and gentle on sensitive skin.|"
            "A timeless gift for birthdays and anniversaries.|"
            "Water resistant for everyday wear.|Comes with a polishing cloth."
        ),
        price_median=35.0,
        price_sigma=0.9,
        related=_v("Beauty|Bags & Luggage|Party Supplies|Shoes"),
    ),
    "Shoes": CategorySpec(
        brands=_v("Stridewell|Cobble & Lace|Airstep|Northway|Fennick"),
        adjectives=_v("lightweight|waterproof|cushioned|slip-on|breathable|wide-fit|classic|vegan"),
        materials=_v("leather|suede|canvas|knit mesh|rubber|faux shearling"),
        nouns=_v(
            "running shoes|trainers|ankle boots|sandals|loafers|slippers|hiking boots|"
            "chelsea boots|ballet flats|wellington boots|espadrilles|court shoes"
        ),
        variants=_v("black|white|tan|navy|grey|burgundy|olive"),
        sizes=_v("UK 4|UK 5|UK 6|UK 7|UK 8|UK 9|UK 10|UK 11"),
        features=_v(
            "with a cushioned memory-foam insole|with a grippy rubber outsole|"
            "made to feel broken-in from the first wear|with a padded heel collar|"
            "with easy pull-on tabs"
        ),
        benefits=_v(
            "True to size; for half sizes, size up.|Free returns within 30 days.|"
            "Comfortable for all-day wear.|Made with recycled materials in the sole."
        ),
        price_median=55.0,
        price_sigma=0.6,
        related=_v("Sports & Outdoors|Bags & Luggage|Jewelry|Health"),
    ),
    "Baby": CategorySpec(
        brands=_v("Little Nest|Cuddlebug|Tiny Sprout|Babelle|Moonbeam"),
        adjectives=_v(
            "organic|soft|breathable|newborn|adjustable|foldable|washable|hypoallergenic"
        ),
        materials=_v("organic cotton|bamboo fibre|muslin|silicone|merino|BPA-free plastic"),
        nouns=_v(
            "sleepsuit|swaddle blanket|baby bottle|teether|changing mat|baby carrier|bib set|"
            "cot sheet|play mat|high chair|pram organiser|bath thermometer"
        ),
        variants=_v("white|oatmeal|sage|dusty pink|sky blue|grey|yellow"),
        sizes=_v("Newborn|0-3 months|3-6 months|6-12 months|12-18 months"),
        features=_v(
            "with poppers for quick nappy changes|designed to grow with your baby|"
            "with anti-colic venting|made to be gentle on delicate skin"
        ),
        benefits=_v(
            "Tested for safety by independent labs.|Machine washable at 40 °C.|"
            "A lovely baby shower gift.|Free from BPA and phthalates."
        ),
        price_median=18.0,
        price_sigma=0.6,
        related=_v("Toys|Health|Bedding|Party Supplies"),
    ),
    "Tools": CategorySpec(
        brands=_v("Ironclad|Torqmaster|Boltline|Forgecraft|Hammerhead"),
        adjectives=_v("cordless|heavy-duty|professional|compact|magnetic|brushless|insulated"),
        materials=_v("hardened steel|chrome vanadium|fibreglass|18V lithium-ion|titanium-coated"),
        nouns=_v(
            "drill driver|screwdriver set|socket set|claw hammer|tape measure|spirit level|"
            "utility knife|adjustable spanner|jigsaw|tool box|stud finder|workbench"
        ),
        variants=_v("yellow|orange|red|blue|black|green"),
        sizes=_v("Compact|Standard|Pro|Workshop"),
        features=_v(
            "with an LED work light|with a soft-grip anti-slip handle|"
            "supplied in a sturdy carry case|with 20 torque settings|with a magnetic bit holder"
        ),
        benefits=_v(
            "Built for trades and weekend DIY.|Backed by a 3-year tool warranty.|"
            "Every piece is drop-tested.|Spare parts available for ten years."
        ),
        price_median=35.0,
        price_sigma=0.8,
        related=_v("Garden|Automotive|Home Decor|Lighting|Crafts"),
    ),
    "Automotive": CategorySpec(
        brands=_v("Roadmate|Gearshift|Autovance|Motorvia|Piston & Co"),
        adjectives=_v("universal|all-weather|heavy-duty|quick-fit|premium|anti-slip|foldable"),
        materials=_v("rubber|microfibre|carbon-look|PU leather|aluminium|ABS"),
        nouns=_v(
            "floor mats|seat covers|phone holder|dash cam|jump starter|tyre inflator|"
            "car vacuum|windscreen cover|boot organiser|steering wheel cover|wiper blades|"
            "car charger"
        ),
        variants=_v("black|grey|beige|red|blue|silver"),
        sizes=_v("Compact|Standard|SUV|Universal"),
        features=_v(
            "with a non-slip backing that stays in place|designed to fit most cars and SUVs|"
            "with a 12V plug-in adapter|with a one-touch mounting clip|"
            "designed to fold away in the glovebox"
        ),
        benefits=_v(
            "Installs in minutes without tools.|Tested in extreme heat and cold.|"
            "Check your vehicle's fit guide before ordering.|Easy to clean with soap and water."
        ),
        price_median=25.0,
        price_sigma=0.7,
        related=_v("Electronics|Tools|Lighting|Bags & Luggage"),
    ),
    "Music": CategorySpec(
        brands=_v("Tonewood|Harmonia|Riffwell|Cadenza|Soundfield"),
        adjectives=_v("acoustic|electric|beginner|studio|vintage-style|portable|compact"),
        materials=_v("maple|mahogany|rosewood|brass|walnut|carbon"),
        nouns=_v(
            "guitar|ukulele|keyboard|guitar strings|capo|microphone|guitar stand|tuner|"
            "drum pad|harmonica|music stand|headphone amp"
        ),
        variants=_v("natural|sunburst|black|white|cherry red|blue"),
        sizes=_v("Mini|3/4|Full Size|Deluxe"),
        features=_v(
            "with a warm, rich tone|made to stay in tune|with a padded gig bag|"
            "with a low action for easy playing|with a clip-on tuner included"
        ),
        benefits=_v(
            "A great first instrument for learners.|Set up and checked by our workshop.|"
            "Loved by gigging musicians.|Includes a free online lesson course."
        ),
        price_median=40.0,
        price_sigma=1.0,
        related=_v("Electronics|Books|Party Supplies|Gaming"),
    ),
    "Grocery": CategorySpec(
        brands=_v("Hillside Farm|Oak & Acorn|Mira Foods|Golden Field|Little Larder"),
        adjectives=_v(
            "organic|fair-trade|gluten-free|wholegrain|roasted|lightly salted|cold-pressed"
        ),
        materials=_v("Italian|Sicilian|Colombian|Kenyan|Himalayan|Belgian"),
        nouns=_v(
            "coffee beans|olive oil|granola|pasta|tea bags|peanut butter|rice|crackers|honey|"
            "spice mix|chocolate bar|porridge oats"
        ),
        variants=_v("original|vanilla|salted caramel|cinnamon|mixed berry|dark roast"),
        sizes=_v("250 g|500 g|1 kg|Pack of 6"),
        features=_v(
            "with no added sugar|sourced from small family farms|with a rich, smooth flavour|"
            "packed in a resealable pouch"
        ),
        benefits=_v(
            "Suitable for vegetarians.|Store in a cool, dry place.|"
            "Best enjoyed within 6 weeks of opening.|Delivered carbon neutral."
        ),
        price_median=6.0,
        price_sigma=0.5,
        related=_v("Kitchen|Health|Party Supplies|Pet Supplies"),
    ),
    "Health": CategorySpec(
        brands=_v("Vitalis|Wellspring|Nordic Care|Corevia|Healthwise"),
        adjectives=_v("daily|high-strength|vegan|sugar-free|rechargeable|digital|travel"),
        materials=_v("clinical|sport|advanced|gentle|natural|extra-strength"),
        nouns=_v(
            "vitamin D3 tablets|magnesium capsules|omega-3 softgels|protein powder|"
            "electric toothbrush|blood pressure monitor|first aid kit|massage gun|heat pad|"
            "pill organiser|foam roller|digital thermometer"
        ),
        variants=_v("white|black|blue|grey|mint|pink"),
        sizes=_v("Travel Size|Standard|Value Pack|Family Pack"),
        features=_v(
            "with clinically studied ingredients|designed to support immune health|"
            "with an easy-read display|with three intensity settings|"
            "free from artificial colours"
        ),
        benefits=_v(
            "Made in a GMP-certified facility.|"
            "Consult your doctor if pregnant or on medication.|"
            "Trusted by physiotherapists.|Pharmacist approved."
        ),
        price_median=15.0,
        price_sigma=0.7,
        related=_v("Beauty|Sports & Outdoors|Grocery|Baby"),
    ),
    "Lighting": CategorySpec(
        brands=_v("Lumen & Oak|Brightwell|Glowforge|Halo Home|Lucent"),
        adjectives=_v("dimmable|smart|rechargeable|industrial|minimalist|warm-white|solar-powered"),
        materials=_v("brass|frosted glass|matte metal|rattan|concrete|linen shade"),
        nouns=_v(
            "table lamp|floor lamp|pendant light|LED strip|desk lamp|wall sconce|"
            "string lights|night light|ceiling light|reading lamp|lantern|LED bulb pack"
        ),
        variants=_v("black|white|brass|chrome|copper|natural"),
        sizes=_v("Small|Medium|Large|XL"),
        features=_v(
            "with a touch dimmer and three brightness levels|"
            "designed to work with Alexa and Google Home|with an energy-saving LED|"
            "with a 2 m fabric cable|with a weighted base"
        ),
        benefits=_v(
            "Creates a warm, cosy atmosphere.|Energy class A LED included.|"
            "Easy to install with the included fittings.|Rated for 25,000 hours of use."
        ),
        price_median=35.0,
        price_sigma=0.8,
        related=_v("Home Decor|Electronics|Office|Garden|Party Supplies"),
    ),
    "Bedding": CategorySpec(
        brands=_v("Dreamweave|Slumberly|Cloud Nine|Linenfold|Hushhome"),
        adjectives=_v("breathable|hypoallergenic|luxury|all-season|cooling|quilted|brushed"),
        materials=_v("Egyptian cotton|linen|bamboo|percale cotton|microfibre|down-alternative"),
        nouns=_v(
            "duvet cover set|pillowcases|fitted sheet|duvet|pillow|mattress topper|"
            "weighted blanket|bedspread|electric blanket|throw|mattress protector|flat sheet"
        ),
        variants=_v("white|ivory|grey|sage green|navy|dusty pink|charcoal"),
        sizes=_v("Single|Double|King|Super King"),
        features=_v(
            "with a 400 thread count|designed to keep you cool on warm nights|"
            "with deep pockets for thick mattresses|with a hidden button closure|"
            "made to get softer with every wash"
        ),
        benefits=_v(
            "OEKO-TEX certified for peace of mind.|Machine washable at 60 °C.|"
            "Tumble dry on low.|Sleep on it for 100 nights or return it."
        ),
        price_median=35.0,
        price_sigma=0.6,
        related=_v("Home Decor|Baby|Health|Lighting"),
    ),
    "Bags & Luggage": CategorySpec(
        brands=_v("Wanderlux|Carryall & Co|Nomad Trail|Jetset|Satchelry"),
        adjectives=_v(
            "lightweight|water-resistant|expandable|anti-theft|cabin-size|vintage|padded"
        ),
        materials=_v(
            "polycarbonate|vegan leather|waxed canvas|nylon|full-grain leather|recycled PET"
        ),
        nouns=_v(
            "suitcase|backpack|tote bag|weekend bag|laptop bag|crossbody bag|wash bag|"
            "packing cubes|wallet|duffel bag|messenger bag|travel pouch"
        ),
        variants=_v("black|tan|navy|olive|grey|burgundy|forest green"),
        sizes=_v("Small|Medium|Large|Cabin"),
        features=_v(
            "with a padded 15-inch laptop sleeve|with 360° spinner wheels|"
            "with a TSA-approved combination lock|with hidden anti-theft pockets|"
            "with a detachable shoulder strap"
        ),
        benefits=_v(
            "Fits most airline cabin size limits.|Backed by a 5-year guarantee.|"
            "Wipe-clean lining.|Made from recycled materials."
        ),
        price_median=45.0,
        price_sigma=0.8,
        related=_v("Sports & Outdoors|Shoes|Electronics|Jewelry|Beauty"),
    ),
    "Party Supplies": CategorySpec(
        brands=_v("Confetti Co|Partyland|Festiva|Pop & Fizz|Merrymade"),
        adjectives=_v("reusable|biodegradable|metallic|glitter|themed|eco-friendly|giant|pastel"),
        materials=_v("paper|foil|latex|bamboo|tissue|cardboard"),
        nouns=_v(
            "balloons|banner|paper plates|napkins|cake topper|party hats|bunting|tablecloth|"
            "confetti|birthday candles|favour bags|photo booth props"
        ),
        variants=_v("gold|silver|rose gold|rainbow|pink|blue|black"),
        sizes=_v("Pack of 10|Pack of 20|Pack of 50|Pack of 100"),
        features=_v(
            "with matching cups and napkins|designed to make setting up a party easy|"
            "with ribbon included|printed with eco-friendly inks"
        ),
        benefits=_v(
            "Perfect for birthdays, weddings and baby showers.|"
            "Fast dispatch for last-minute parties.|Mix and match with our party ranges.|"
            "Plastic-free packaging."
        ),
        price_median=8.0,
        price_sigma=0.6,
        related=_v("Baby|Toys|Grocery|Crafts|Kitchen"),
    ),
    "Crafts": CategorySpec(
        brands=_v("Makers Mill|Craftory|Yarnbarn|Pigment & Paper|Stitchwell"),
        adjectives=_v(
            "beginner|premium|complete|acid-free|washable|non-toxic|professional|assorted"
        ),
        materials=_v("acrylic|watercolour|merino yarn|cotton|polymer clay|felt"),
        nouns=_v(
            "paint set|knitting kit|embroidery kit|brush set|yarn bundle|glue gun|"
            "craft scissors|bead kit|canvas panels|clay kit|sewing kit|crochet hooks"
        ),
        variants=_v("assorted|pastel|primary colours|earth tones|neon|monochrome"),
        sizes=_v("12 pieces|24 pieces|36 pieces|48 pieces"),
        features=_v(
            "with step-by-step instructions|with everything you need to get started|"
            "safe for kids and adults|with a reusable storage case|"
            "with rich, highly pigmented colours"
        ),
        benefits=_v(
            "A relaxing hobby for rainy days.|Makes a thoughtful handmade gift.|"
            "Non-toxic and conforms to ASTM D-4236.|Refills available separately."
        ),
        price_median=15.0,
        price_sigma=0.7,
        related=_v("Stationery|Toys|Party Supplies|Books|Home Decor"),
    ),
    "Stationery": CategorySpec(
        brands=_v("Inkwell|Papermill|Notely|Scribe & Co|Leafpress"),
        adjectives=_v("dotted|refillable|hardcover|recycled|smooth-writing|pocket|undated"),
        materials=_v("kraft paper|recycled paper|vegan leather|bamboo|brass|linen"),
        nouns=_v(
            "notebook|fountain pen|gel pens|planner|sticky notes|pencil case|journal|"
            "highlighters|greeting cards|envelopes|desk calendar|washi tape"
        ),
        variants=_v("black|navy|sage|blush|yellow|kraft|white"),
        sizes=_v("A6|A5|A4|Pocket"),
        features=_v(
            "with 120 gsm bleed-proof paper|with a lay-flat binding|"
            "with an elastic closure and ribbon marker|made to glide smoothly across the page|"
            "with numbered pages and an index"
        ),
        benefits=_v(
            "Perfect for bullet journalling and note-taking.|Fountain-pen friendly paper.|"
            "Made in a carbon-neutral mill.|A back-to-school favourite."
        ),
        price_median=9.0,
        price_sigma=0.6,
        related=_v("Office|Crafts|Books|Party Supplies"),
    ),
    "Gaming": CategorySpec(
        brands=_v("Pixelforge|Nexus Play|Raptor Gear|Quantix|Arcadia"),
        adjectives=_v("wireless|RGB|mechanical|pro|ergonomic|low-latency|tournament-grade|compact"),
        materials=_v("aluminium|braided|memory foam|carbon-look|hall-effect|optical"),
        nouns=_v(
            "gaming mouse|mechanical keyboard|headset|controller|mouse mat|gaming chair|"
            "capture card|charging dock|racing wheel|console stand|VR headset strap|"
            "streaming microphone"
        ),
        variants=_v("black|white|red|purple|cyan|camo"),
        sizes=_v("Compact|Standard|XL|Pro"),
        features=_v(
            "with customisable RGB lighting|with a 1 ms response time|"
            "with programmable macro buttons|designed for PC, PlayStation and Xbox|"
            "with a detachable noise-cancelling mic"
        ),
        benefits=_v(
            "Built for long sessions and competitive play.|"
            "Firmware updates via the companion app.|Two-year warranty included.|"
            "Plug and play with no drivers needed."
        ),
        price_median=45.0,
        price_sigma=0.8,
        related=_v("Electronics|Office|Music|Toys"),
    ),
}


class Product(NamedTuple):
    """One row of products.csv (all fields already formatted as text)."""

    product_id: str
    title: str
    category: str
    description: str
    price: str
    img_url: str


def _title_case(text: str) -> str:
    # str.title() would mangle "USB-C" and "chef's"; capitalise first letters only.
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _family_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Split n products into families of 1-6 variants (mean ~2.2)."""
    sizes = np.minimum(rng.geometric(0.45, size=max(n, 1)), 6)
    cut = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - n
    return sizes[sizes > 0]


def _price_text(raw: np.ndarray, rng: np.random.Generator) -> list[str]:
    # Shops like charm prices; keep some raw cents so the column is not all x.99.
    ending = rng.choice(4, size=raw.size, p=[0.5, 0.1, 0.1, 0.3])
    whole = np.floor(raw)
    price = np.where(ending == 0, whole + 0.99, raw)
    price = np.where(ending == 1, whole + 0.49, price)
    price = np.where(ending == 2, np.maximum(whole, 1.0), price)
    price = np.maximum(np.round(price, 2), 0.49)
    return [f"{p:.2f}" for p in price]


def generate_products(n: int, rng: np.random.Generator) -> list[Product]:
    """Generate n products over the CATEGORIES vocabulary.

    Products come in families (same brand/adjective/material/noun in several
    colours or sizes); families are shuffled so ids are not grouped by category, but
    the variants of a family keep consecutive ids, as when a shop adds a product line.
    """
    if n < 1:
        raise ValueError("need at least one product")
    names = list(CATEGORIES)
    n_cat = len(names)
    if n >= n_cat:
        # Dirichlet shares make some categories noticeably bigger than others.
        counts = 1 + rng.multinomial(n - n_cat, rng.dirichlet(np.full(n_cat, 8.0)))
    else:
        counts = np.zeros(n_cat, dtype=np.int64)
        counts[:n] = 1

    # One entry per family: (category, brand, descriptive phrase, title stem, variants).
    families: list[tuple[str, str, str, str, list[tuple[str, str, float]]]] = []
    for cat, count in zip(names, counts, strict=True):
        if count == 0:
            continue
        spec = CATEGORIES[cat]
        sizes = _family_sizes(int(count), rng)
        m = sizes.size
        brand = rng.integers(len(spec.brands), size=m)
        adj = np.where(rng.random(m) < 0.8, rng.integers(len(spec.adjectives), size=m), -1)
        mat = np.where(rng.random(m) < 0.6, rng.integers(len(spec.materials), size=m), -1)
        noun = rng.integers(len(spec.nouns), size=m)
        col0 = rng.integers(len(spec.variants), size=m)
        size0 = rng.integers(len(spec.sizes), size=m)
        # Variants differ by colour (0), by size (1) or by both (2).
        axis = rng.choice(3, size=m, p=[0.5, 0.25, 0.25])
        base = spec.price_median * np.exp(spec.price_sigma * rng.standard_normal(m))
        jitter = np.exp(0.05 * rng.standard_normal(int(sizes.sum())))
        k = 0
        for f in range(m):
            words = [spec.adjectives[adj[f]]] if adj[f] >= 0 else []
            words += [spec.materials[mat[f]]] if mat[f] >= 0 else []
            words.append(spec.nouns[noun[f]])
            thing = " ".join(words)
            stem = f"{spec.brands[brand[f]]} {_title_case(thing)}"
            variants = []
            for j in range(int(sizes[f])):
                c = (col0[f] + j * (axis[f] != 1)) % len(spec.variants)
                s = (size0[f] + j * (axis[f] != 0)) % len(spec.sizes)
                # Bigger sizes cost more; sizes are listed in ascending order.
                price = base[f] * (1.0 + 0.18 * s) * jitter[k]
                variants.append((spec.variants[c], spec.sizes[s], float(price)))
                k += 1
            families.append((cat, spec.brands[brand[f]], thing, stem, variants))

    order = rng.permutation(len(families))
    flat = [(*families[i][:4], *v) for i in order for v in families[i][4]]
    prices = _price_text(np.array([row[-1] for row in flat]), rng)

    n_sent = rng.choice(3, size=n, p=[0.25, 0.45, 0.30]) + 1
    picks = rng.random((n, 5))
    width = max(6, len(str(n)))
    rows: list[Product] = []
    for i, (cat, brand, thing, stem, variant, size, _) in enumerate(flat):
        spec = CATEGORIES[cat]
        pid = f"P{i + 1:0{width}d}"
        r = picks[i]
        feature = spec.features[int(r[0] * len(spec.features))]
        template = int(r[1] * 3)
        if template == 0:
            first = f"{thing[:1].upper()}{thing[1:]} {feature}."
        elif template == 1:
            first = f"The {thing} from {brand}, {feature}."
        else:
            first = f"Designed by {brand}: the {thing} {feature}."
        sentences = [first]
        if n_sent[i] >= 2:
            sentences.append(spec.benefits[int(r[2] * len(spec.benefits))])
        if n_sent[i] >= 3:
            other = spec.benefits[int(r[4] * len(spec.benefits))]
            if r[3] < 0.5 or other == sentences[-1]:
                other = f"Shown in {variant}, size {size}."
            sentences.append(other)
        rows.append(
            Product(
                pid,
                f"{stem}, {_title_case(variant)}, {size}",
                cat,
                " ".join(sentences),
                prices[i],
                IMG_URL.format(pid),
            )
        )
    return rows


def _sample_in_category(
    cats: np.ndarray, u: np.ndarray, cdf_keys: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Draw one product per entry of cats by within-category popularity.

    cdf_keys holds, for products sorted by category, category + cumulative share, so a
    single searchsorted samples all categories at once.
    """
    pos = np.searchsorted(cdf_keys, cats + u, side="right")
    return order[np.minimum(pos, order.size - 1)]


def _segment_cumsum(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every segment (segments are contiguous)."""
    total = np.cumsum(values)
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


@dataclass(frozen=True)
class _Catalogue:
    """Per-product arrays the interaction simulation samples from."""

    cat: np.ndarray  # category index per product
    n_cat: int
    cdf_keys: np.ndarray
    by_cat: np.ndarray
    cat_traffic: np.ndarray  # probability of each category for exploration
    fam_start: np.ndarray  # per product: first index in fam_order of its family
    fam_size: np.ndarray
    fam_order: np.ndarray
    partners: np.ndarray  # [n, 4], -1 where unused
    n_partners: np.ndarray
    related: list[np.ndarray]


def _build_catalogue(products: list[Product], rng: np.random.Generator) -> _Catalogue:
    """Derive categories, popularity, near-duplicate families and complements."""
    n = len(products)
    cat_names, cat = np.unique([p.category for p in products], return_inverse=True)
    n_cat = cat_names.size
    by_cat = np.argsort(cat, kind="stable")
    cat_counts = np.bincount(cat, minlength=n_cat)
    cat_first = np.concatenate([[0], np.cumsum(cat_counts)[:-1]])

    # Zipf-like popularity: a random rank inside the category, weight 1 / rank^0.9.
    u = rng.random(n)
    rank_in_cat = np.empty(n, dtype=np.int64)
    shuffled = np.lexsort((u, cat))
    rank_in_cat[shuffled] = np.arange(n) - np.repeat(cat_first, cat_counts)
    weight = 1.0 / (rank_in_cat + 1.0) ** 0.9
    w_sorted = weight[by_cat]
    cum = _segment_cumsum(w_sorted, cat_first, cat_counts)
    share = cum / np.repeat(cum[cat_first + cat_counts - 1], cat_counts)
    cdf_keys = cat[by_cat] + share

    # Big categories draw more traffic, but less than proportionally.
    traffic = np.sqrt(cat_counts.astype(float))
    traffic /= traffic.sum()

    # Near-duplicate families: same category and title stem (text before the first comma).
    stems = [f"{p.category}|{p.title.split(',', 1)[0]}" for p in products]
    _, fam = np.unique(stems, return_inverse=True)
    fam_order = np.argsort(fam, kind="stable")
    fam_counts = np.bincount(fam)
    fam_first = np.concatenate([[0], np.cumsum(fam_counts)[:-1]])
    fam_start = fam_first[fam]
    fam_size = fam_counts[fam]

    index = {str(name): i for i, name in enumerate(cat_names)}
    related = []
    for name in cat_names:
        spec = CATEGORIES.get(str(name))
        rel = [index[r] for r in spec.related if r in index] if spec else []
        related.append(np.array(rel or [index[str(name)]], dtype=np.int64))
    rel_count = np.array([r.size for r in related])
    rel_matrix = np.full((n_cat, int(rel_count.max())), -1, dtype=np.int64)
    for i, r in enumerate(related):
        rel_matrix[i, : r.size] = r

    # Complements: 2-4 partners, mostly in related categories, biased to popular items.
    n_partners = rng.integers(2, 5, size=n)
    kind = rng.choice(3, size=(n, 4), p=[0.7, 0.2, 0.1])
    own = np.repeat(cat[:, None], 4, axis=1)
    pick = (rng.random((n, 4)) * rel_count[own]).astype(np.int64)
    target = np.where(kind == 0, rel_matrix[own, pick], own)
    target = np.where(kind == 2, rng.integers(n_cat, size=(n, 4)), target)
    partners = _sample_in_category(target.ravel(), rng.random(n * 4), cdf_keys, by_cat).reshape(
        n, 4
    )
    partners[partners == np.arange(n)[:, None]] = -1
    partners[np.arange(4)[None, :] >= n_partners[:, None]] = -1
    return _Catalogue(
        cat=cat,
        n_cat=n_cat,
        cdf_keys=cdf_keys,
        by_cat=by_cat,
        cat_traffic=traffic,
        fam_start=fam_start,
        fam_size=fam_size,
        fam_order=fam_order,
        partners=partners,
        n_partners=n_partners,
        related=related,
    )


def _funnel(
    base_t: np.ndarray,
    p_click: np.ndarray | float,
    p_cart_clicked: float,
    p_cart_direct: float,
    p_buy: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Return masks and times of click, cart and purchase after a view at base_t."""
    m = base_t.size
    u = rng.random((m, 3))
    click = u[:, 0] < p_click
    # A few add-to-carts happen straight from a listing page, without a click.
    cart = np.where(click, u[:, 1] < p_cart_clicked, u[:, 1] < p_cart_direct)
    buy = cart & (u[:, 2] < p_buy)
    gaps = rng.exponential([20.0, 40.0, 180.0], size=(m, 3))
    click_t = base_t + 3 + gaps[:, 0]
    cart_t = np.where(click, click_t, base_t) + 2 + gaps[:, 1]
    buy_t = cart_t + 30 + gaps[:, 2]
    return click, click_t, cart, cart_t, buy, buy_t


def generate_interactions(
    products: list[Product], n_users: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Simulate n_users shoppers on the catalogue; return events sorted by ts.

    Columns: user_id, product_id, interaction_type, ts (ISO-8601 text without zone).
    Works on any list of Product rows, e.g. ones read back from products.csv.
    """
    if n_users < 1:
        raise ValueError("need at least one user")
    cat_info = _build_catalogue(products, rng)
    n_cat = cat_info.n_cat

    # --- users: favourite categories, drift target, activity bursts ---
    n_fav = rng.choice(3, size=n_users, p=[0.35, 0.4, 0.25]) + 1
    fav = rng.choice(n_cat, size=(n_users, 4), p=cat_info.cat_traffic)
    # The drift target is often related to the first favourite: tastes move sideways.
    rel_pick = [cat_info.related[c][rng.integers(cat_info.related[c].size)] for c in fav[:, 0]]
    fav[:, 3] = np.where(rng.random(n_users) < 0.6, rel_pick, fav[:, 3])
    fav_w = rng.dirichlet(np.ones(3), size=n_users)
    fav_w[np.arange(3)[None, :] >= n_fav[:, None]] = 0.0
    fav_w /= fav_w.sum(axis=1, keepdims=True)
    drift = rng.uniform(0.3, 0.8, size=n_users)
    n_bursts = rng.integers(1, 4, size=n_users)
    burst_day = rng.uniform(0, WINDOW_DAYS, size=(n_users, 3))

    # --- sessions ---
    activity = rng.lognormal(np.log(3.6), 0.7, size=n_users)
    n_sess = 1 + rng.poisson(activity)
    s_user = np.repeat(np.arange(n_users), n_sess)
    n_s = s_user.size
    burst = (rng.random(n_s) * n_bursts[s_user]).astype(np.int64)
    day = burst_day[s_user, burst] + rng.normal(0, 2.5, size=n_s)
    # Reflect at both window edges so bursts near them do not pile up on the first/last day.
    day = np.abs(day)
    day = np.floor(np.where(day >= WINDOW_DAYS, 2 * WINDOW_DAYS - day, day))
    day = np.clip(day, 0, WINDOW_DAYS - 1)
    # Shoppers browse at lunchtime and in the evening, rarely at night.
    hour_w = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.8, 3, 3.2])
    hour_w = np.concatenate([hour_w, [3.6, 3.4, 3, 2.9, 3, 3.3, 3.8, 4.5, 4.8, 4.2, 3, 1.8]])
    hour = rng.choice(24, size=n_s, p=hour_w / hour_w.sum())
    s_start = day * 86_400 + hour * 3600 + rng.integers(0, 3600, size=n_s)
    # Later steps look back at earlier seeds of the same user, so keep sessions in time order.
    s_ord = np.lexsort((s_start, s_user))
    s_start = s_start[s_ord].astype(np.float64)
    # Drift progresses over each user's own history (sessions cluster in bursts, so the
    # calendar alone would leave most users' tastes nearly constant).
    s_first = np.concatenate([[0], np.cumsum(n_sess)[:-1]])
    s_rank = np.arange(n_s) - np.repeat(s_first, n_sess)
    s_frac = s_rank / np.maximum(n_sess - 1, 1)[s_user]

    # --- seed views: products a user browses in a session ---
    n_seed = 1 + rng.poisson(1.9, size=n_s)
    k_sess = np.repeat(np.arange(n_s), n_seed)
    k_user = s_user[k_sess]
    m = k_sess.size
    frac = s_frac[k_sess]
    w = np.empty((m, 4))
    w[:, :3] = fav_w[k_user] * (1 - drift[k_user] * frac)[:, None]
    w[:, 3] = drift[k_user] * frac
    col = (np.cumsum(w, axis=1) < (rng.random(m) * w.sum(axis=1))[:, None]).sum(axis=1)
    seed_cat = fav[k_user, np.minimum(col, 3)]
    explore = rng.random(m) < 0.1
    seed_cat[explore] = rng.choice(n_cat, size=int(explore.sum()), p=cat_info.cat_traffic)
    seed = _sample_in_category(seed_cat, rng.random(m), cat_info.cdf_keys, cat_info.by_cat)

    # Revisits: a user comes back to something seen in an earlier session or view.
    user_first = np.concatenate([[0], np.cumsum(np.bincount(k_user, minlength=n_users))[:-1]])
    k_first = user_first[k_user]
    back = np.arange(m) - k_first
    revisit = (rng.random(m) < 0.12) & (back > 0)
    prior = k_first + (rng.random(m) * back).astype(np.int64)
    seed = np.where(revisit, seed[prior], seed)
    # Comparing variants: the next view is often a sibling of the previous one.
    same_sess = np.zeros(m, dtype=bool)
    same_sess[1:] = k_sess[1:] == k_sess[:-1]
    sibling = same_sess & (rng.random(m) < 0.15)
    prev = seed[np.maximum(np.arange(m) - 1, 0)]
    sib = cat_info.fam_order[
        cat_info.fam_start[prev] + (rng.random(m) * cat_info.fam_size[prev]).astype(np.int64)
    ]
    seed = np.where(sibling, sib, seed)

    sess_first = np.concatenate([[0], np.cumsum(n_seed)[:-1]])
    gaps = 10 + rng.exponential(60.0, size=m)
    view_t = s_start[k_sess] + _segment_cumsum(gaps, sess_first, n_seed) - gaps[sess_first][k_sess]
    p_click = np.where(revisit, 0.55, 0.38)
    click, click_t, cart, cart_t, buy, buy_t = _funnel(view_t, p_click, 0.33, 0.02, 0.5, rng)

    # --- complements: carting a product leads to its partners ---
    carted = np.flatnonzero(cart)
    n_follow = rng.choice(3, size=carted.size, p=[0.35, 0.45, 0.2])
    src = np.repeat(carted, n_follow)
    slot = (rng.random(src.size) * cat_info.n_partners[seed[src]]).astype(np.int64)
    partner = cat_info.partners[seed[src], slot]
    ok = partner >= 0
    src, partner = src[ok], partner[ok]
    p_view_t = cart_t[src] + 5 + rng.exponential(45.0, size=src.size)
    p_click, p_click_t, p_cart, p_cart_t, p_buy, p_buy_t = _funnel(
        p_view_t, 0.5, 0.4, 0.03, 0.55, rng
    )

    p_user = k_user[src]
    everything, p_all = np.ones(m, dtype=bool), np.ones(src.size, dtype=bool)
    blocks = [
        (everything, k_user, seed, view_t, 0),
        (click, k_user, seed, click_t, 1),
        (cart, k_user, seed, cart_t, 2),
        (buy, k_user, seed, buy_t, 3),
        (p_all, p_user, partner, p_view_t, 0),
        (p_click, p_user, partner, p_click_t, 1),
        (p_cart, p_user, partner, p_cart_t, 2),
        (p_buy, p_user, partner, p_buy_t, 3),
    ]
    users = np.concatenate([u[mask] for mask, u, _, _, _ in blocks])
    items = np.concatenate([i[mask] for mask, _, i, _, _ in blocks])
    secs = np.concatenate([t[mask] for mask, _, _, t, _ in blocks])
    kinds = np.concatenate([np.full(int(mask.sum()), c, np.int8) for mask, *_, c in blocks])
    # Late-night sessions on the last day would spill past the window; pin them to its end.
    secs = np.minimum(secs.astype(np.int64), WINDOW_SECONDS - 1)
    # Stable sort: on equal seconds the funnel order (views first) survives.
    order = np.argsort(secs, kind="stable")

    width = max(5, len(str(n_users)))
    user_ids = np.array([f"U{i + 1:0{width}d}" for i in range(n_users)], dtype=object)
    product_ids = np.array([p.product_id for p in products], dtype=object)
    ts = np.datetime_as_string(WINDOW_START + secs[order].astype("timedelta64[s]"), unit="s")
    return pd.DataFrame(
        {
            "user_id": user_ids[users[order]],
            "product_id": product_ids[items[order]],
            "interaction_type": np.array(INTERACTION_TYPES, dtype=object)[kinds[order]],
            "ts": ts.astype(object),
        }
    )


class DemoDataSummary(NamedTuple):
    """What write_demo_data wrote."""

    products_path: Path
    interactions_path: Path
    n_products: int
    n_users: int
    n_interactions: int
    seconds: float


def default_users(n_products: int) -> int:
    """Number of users that goes with a catalogue size when none is given."""
    return max(1, round(n_products * USERS_PER_PRODUCT))


def write_demo_data(
    out_dir: Path | str = DEFAULT_OUT,
    n_products: int = DEFAULT_PRODUCTS,
    n_users: int | None = None,
    seed: int = DEFAULT_SEED,
) -> DemoDataSummary:
    """Generate and write products.csv and interactions.csv into out_dir."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    users = default_users(n_products) if n_users is None else n_users
    rng = np.random.default_rng(seed)
    products = generate_products(n_products, rng)
    interactions = generate_interactions(products, users, rng)

    products_path = out / "products.csv"
    with products_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(Product._fields)
        writer.writerows(products)
    interactions_path = out / "interactions.csv"
    # Plain join is faster than csv/to_csv here, and no field can need quoting.
    cols = [interactions[c].to_numpy() for c in interactions.columns]
    with interactions_path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(interactions.columns) + "\n")
        # Chunks keep peak memory modest for the 200k-product benchmark size.
        for lo in range(0, len(interactions), 500_000):
            chunk = zip(*(c[lo : lo + 500_000] for c in cols), strict=True)
            fh.write("".join(f"{u},{p},{k},{t}\n" for u, p, k, t in chunk))
    return DemoDataSummary(
        products_path,
        interactions_path,
        len(products),
        users,
        len(interactions),
        time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=(
            "Write a deterministic synthetic shop catalogue (products.csv) and a user "
            "interaction log (interactions.csv: view/click/add_to_cart/purchase over the "
            "90 days ending 2026-10-31) for demos, tests and benchmarks. Same options and "
            "seed give byte-identical files."
        )
    )
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULT_PRODUCTS,
        help=f"number of products (default {DEFAULT_PRODUCTS})",
    )
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help=f"number of users (default: {USERS_PER_PRODUCT} x products)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 42)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: data/ in the repository root)",
    )
    args = parser.parse_args(argv)
    if args.products < 1 or (args.users is not None and args.users < 1):
        parser.error("--products and --users must be positive")
    s = write_demo_data(args.out, args.products, args.users, args.seed)
    print(
        f"wrote {s.n_products} products and {s.n_interactions} interactions "
        f"from {s.n_users} users to {s.products_path.parent} in {s.seconds:.1f} s"
    )
    return 0
