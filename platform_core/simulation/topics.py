# ruff: noqa: E501  (data: one question or pair per line reads better than wrapped)
"""The built-in teaching material: science, maths and history topics with narration and question material.

Each topic has four parts (one video each) of narration sentences, a short recap (the remedial video), and
material for every question type. Everything here is plain data; ``corpus`` turns it into timed
transcripts and ``content_plan`` into questions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    prompt: str
    correct: tuple[str, ...]
    wrong: tuple[str, ...]


@dataclass(frozen=True)
class NumericFact:
    prompt: str
    value: float
    tolerance: float = 0.0
    unit: str | None = None
    #: other units and how many of them make one base unit, e.g. (("cm", 100),)
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Topic:
    key: str
    subject: str
    title: str
    description: str
    parts: tuple[Part, ...]
    recap: Part
    choices: tuple[Choice, ...]
    statements: tuple[tuple[str, bool], ...]
    short: tuple[tuple[str, tuple[str, ...]], ...]
    numeric: tuple[NumericFact, ...]
    pairs: tuple[tuple[str, str], ...]
    order_prompt: str
    order: tuple[str, ...]
    cloze: tuple[tuple[str, str], ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="photosynthesis",
        subject="science",
        title="Photosynthesis",
        description="How plants turn light, water and carbon dioxide into sugar and oxygen.",
        parts=(
            Part("What plants need", (
                "Every green plant is a small factory that makes its own food.",
                "To do this it needs three ingredients: light, water and carbon dioxide.",
                "Water arrives through the roots and travels up the stem in tubes called xylem.",
                "Carbon dioxide enters the leaf through tiny pores called stomata.",
                "Light is captured by a green pigment called chlorophyll.",
            )),
            Part("Inside the chloroplast", (
                "Chlorophyll sits inside small structures called chloroplasts.",
                "A single leaf cell can hold dozens of chloroplasts.",
                "In the light-dependent reactions, water molecules are split and oxygen is released.",
                "The energy captured from light is stored briefly in molecules called ATP.",
                "In the Calvin cycle that energy is used to build glucose from carbon dioxide.",
            )),
            Part("The equation", (
                "We can summarise photosynthesis in one balanced equation.",
                "Six molecules of carbon dioxide and six of water make one glucose and six oxygen.",
                "Glucose has the formula C6H12O6.",
                "The oxygen we breathe was released by plants and algae.",
                "Respiration runs the same equation backwards to release energy.",
            )),
            Part("Limiting factors", (
                "The rate of photosynthesis depends on light intensity, carbon dioxide and temperature.",
                "Whichever factor is in shortest supply limits the rate: it is the limiting factor.",
                "Farmers raise carbon dioxide levels in greenhouses to grow crops faster.",
                "Above about forty degrees the enzymes start to denature and the rate falls.",
                "Measuring bubbles of oxygen from pondweed is a classic way to measure the rate.",
            )),
        ),
        recap=Part("Photosynthesis recap", (
            "Let's go over the key idea once more, slowly.",
            "Plants use light energy to turn carbon dioxide and water into glucose.",
            "Oxygen is released as a by-product.",
            "It happens in the chloroplasts, where chlorophyll absorbs the light.",
        )),
        choices=(
            Choice("Which gas do plants take in for photosynthesis?", ("Carbon dioxide",), ("Oxygen", "Nitrogen", "Hydrogen")),
            Choice("Which of these are products of photosynthesis?", ("Glucose", "Oxygen"), ("Carbon dioxide", "Water")),
        ),
        statements=(
            ("Chlorophyll absorbs light energy.", True),
            ("Photosynthesis releases carbon dioxide.", False),
        ),
        short=(("What is the green pigment in leaves called?", ("chlorophyl*", "chlorophyll")),),
        numeric=(NumericFact("How many molecules of oxygen does the balanced equation produce per glucose?", 6),),
        pairs=(("Stomata", "let gases in and out"), ("Xylem", "carries water"), ("Chloroplast", "site of photosynthesis"), ("Glucose", "sugar made by the plant")),
        order_prompt="Put the path of water through a plant in order.",
        order=("Roots absorb water", "Water rises through the xylem", "Water reaches the leaf", "Water is split in the chloroplast"),
        cloze=(("Plants absorb carbon dioxide through pores called {b}.", "stomata"),),
    ),
    Topic(
        key="forces",
        subject="science",
        title="Forces and Newton's laws",
        description="Balanced and unbalanced forces, acceleration and the three laws of motion.",
        parts=(
            Part("What is a force?", (
                "A force is a push or a pull that acts on an object.",
                "Forces are measured in newtons, named after Isaac Newton.",
                "Weight is the force of gravity acting on a mass.",
                "On Earth a one kilogram mass weighs about nine point eight newtons.",
                "Forces have both size and direction, so we draw them as arrows.",
            )),
            Part("The first law", (
                "Newton's first law says an object keeps doing what it is doing unless a resultant force acts.",
                "A book resting on a table has balanced forces: its weight and the push of the table.",
                "A moving puck on ice slides a long way because friction is small.",
                "This tendency to resist changes in motion is called inertia.",
                "Seat belts protect us because our bodies carry on moving when a car stops.",
            )),
            Part("The second law", (
                "The second law links force, mass and acceleration: force equals mass times acceleration.",
                "Double the force on the same mass and the acceleration doubles.",
                "A loaded truck needs a bigger force than an empty one to speed up at the same rate.",
                "Acceleration is measured in metres per second squared.",
                "If the resultant force is zero, the acceleration is zero too.",
            )),
            Part("The third law", (
                "The third law says that forces always come in pairs.",
                "When you push on a wall, the wall pushes back on you with an equal force.",
                "The two forces act on different objects, so they do not cancel out.",
                "A rocket pushes gas backwards and the gas pushes the rocket forwards.",
                "Walking works because your foot pushes the ground backwards.",
            )),
        ),
        recap=Part("Forces recap", (
            "Let's review the three laws one by one.",
            "No resultant force means no change in motion.",
            "Force equals mass times acceleration.",
            "Every force has an equal and opposite partner acting on the other object.",
        )),
        choices=(
            Choice("What is the unit of force?", ("Newton",), ("Joule", "Watt", "Kilogram")),
            Choice("A 2 kg trolley accelerates at 3 m/s². What is the resultant force?", ("6 N",), ("1.5 N", "5 N", "0.67 N")),
        ),
        statements=(
            ("The two forces of an action-reaction pair act on the same object.", False),
            ("With zero resultant force a moving object keeps moving at constant velocity.", True),
        ),
        short=(("What is the resistance of an object to changes in its motion called?", ("inertia",)),),
        numeric=(
            NumericFact("What is the weight of a 10 kg mass on Earth, in newtons? (g = 9.8 N/kg)", 98, 1, "N", (("kN", 0.001),)),
        ),
        pairs=(("First law", "inertia"), ("Second law", "F = m × a"), ("Third law", "equal and opposite pairs"), ("Weight", "gravity acting on a mass")),
        order_prompt="Order these accelerations from smallest to largest (same 10 N force).",
        order=("A 10 kg cart", "A 5 kg cart", "A 2 kg cart", "A 1 kg cart"),
        cloze=(("Force equals mass times {b}.", "acceleration"),),
    ),
    Topic(
        key="water-cycle",
        subject="science",
        title="The water cycle",
        description="Evaporation, condensation, precipitation and collection: how water moves around the Earth.",
        parts=(
            Part("Evaporation", (
                "The Sun heats water in oceans, lakes and rivers.",
                "Some of that water turns into an invisible gas called water vapour.",
                "This change from liquid to gas is called evaporation.",
                "Plants also release water vapour from their leaves, which is called transpiration.",
                "Warm, windy days make evaporation faster.",
            )),
            Part("Condensation and clouds", (
                "As water vapour rises it cools down.",
                "Cool vapour condenses into tiny droplets around specks of dust.",
                "Billions of these droplets together form a cloud.",
                "Condensation is the same process that fogs up a cold mirror.",
                "Clouds high in the sky can be made of ice crystals instead of droplets.",
            )),
            Part("Precipitation", (
                "When droplets join together and grow heavy, they fall as precipitation.",
                "Precipitation can be rain, snow, sleet or hail.",
                "Mountains force air upwards, so the windward side often gets more rain.",
                "A rain gauge measures precipitation in millimetres.",
                "Hail forms when droplets are carried up and down inside storm clouds.",
            )),
            Part("Collection and groundwater", (
                "Water that falls on land runs into streams, rivers and lakes.",
                "Some of it soaks into the ground and becomes groundwater.",
                "Groundwater can stay underground for thousands of years.",
                "Eventually rivers carry the water back to the sea.",
                "Then the cycle begins again, powered by energy from the Sun.",
            )),
        ),
        recap=Part("Water cycle recap", (
            "Let's trace one drop of water all the way round.",
            "It evaporates, condenses into a cloud, falls as precipitation and collects in rivers.",
            "The Sun's energy drives every step.",
            "The total amount of water on Earth stays about the same.",
        )),
        choices=(
            Choice("What is the change from water vapour to liquid droplets called?", ("Condensation",), ("Evaporation", "Precipitation", "Transpiration")),
            Choice("Which of these are forms of precipitation?", ("Snow", "Hail"), ("Fog", "Vapour")),
        ),
        statements=(("The Sun provides the energy that drives the water cycle.", True), ("Clouds are made of water vapour gas.", False)),
        short=(("What is the loss of water vapour from plant leaves called?", ("transpiration",)),),
        numeric=(NumericFact("At sea level, at what temperature in °C does pure water boil?", 100, 0.5, "°C"),),
        pairs=(("Evaporation", "liquid to gas"), ("Condensation", "gas to liquid"), ("Precipitation", "water falling from clouds"), ("Collection", "water gathering in rivers and seas")),
        order_prompt="Put the stages of the water cycle in order, starting from the sea.",
        order=("Evaporation", "Condensation", "Precipitation", "Collection"),
        cloze=(("Water that soaks into the ground becomes {b}.", "groundwater"),),
    ),
    Topic(
        key="fractions",
        subject="maths",
        title="Fractions",
        description="Equivalent fractions, simplifying, and adding fractions with different denominators.",
        parts=(
            Part("What a fraction means", (
                "A fraction describes part of a whole.",
                "The bottom number, the denominator, says how many equal parts the whole is split into.",
                "The top number, the numerator, says how many of those parts we have.",
                "Three quarters means the whole is split into four parts and we take three.",
                "A fraction bar is really a division sign.",
            )),
            Part("Equivalent fractions", (
                "One half, two quarters and four eighths are all the same amount.",
                "Multiplying top and bottom by the same number gives an equivalent fraction.",
                "Dividing top and bottom by a common factor simplifies the fraction.",
                "Six eighths simplifies to three quarters by dividing by two.",
                "A fraction is in its simplest form when the only common factor is one.",
            )),
            Part("Adding fractions", (
                "To add fractions, the denominators must be the same.",
                "One third plus one sixth: change one third into two sixths first.",
                "Two sixths plus one sixth makes three sixths, which is one half.",
                "The lowest common multiple of the denominators is the best common denominator.",
                "Never add the denominators together.",
            )),
            Part("Fractions, decimals and percentages", (
                "Every fraction can be written as a decimal by dividing.",
                "One quarter is zero point two five, or twenty-five percent.",
                "Percent means out of one hundred.",
                "Some fractions, like one third, become recurring decimals.",
                "Comparing fractions is often easier after turning them into decimals.",
            )),
        ),
        recap=Part("Fractions recap", (
            "Let's slow down and look at the key steps again.",
            "Find a common denominator before adding.",
            "Simplify by dividing top and bottom by the same number.",
            "Check your answer by turning it into a decimal.",
        )),
        choices=(
            Choice("Which fraction is equivalent to 3/4?", ("6/8",), ("4/3", "3/8", "6/4")),
            Choice("Which of these are equal to one half?", ("2/4", "50%"), ("1/3", "0.2")),
        ),
        statements=(("To add 1/3 and 1/6 you may add the denominators.", False), ("0.25 and 1/4 are the same number.", True)),
        short=(("What is the bottom number of a fraction called?", ("denominator",)),),
        numeric=(NumericFact("What is 1/3 + 1/6 as a decimal?", 0.5, 0.001), NumericFact("What is 3/5 as a percentage?", 60, 0.1, "%")),
        pairs=(("1/2", "0.5"), ("1/4", "0.25"), ("3/4", "0.75"), ("1/5", "0.2")),
        order_prompt="Order these fractions from smallest to largest.",
        order=("1/8", "1/4", "1/2", "3/4"),
        cloze=(("The top number of a fraction is called the {b}.", "numerator"),),
    ),
    Topic(
        key="pythagoras",
        subject="maths",
        title="Pythagoras' theorem",
        description="Right-angled triangles, the hypotenuse, and finding missing sides.",
        parts=(
            Part("Right-angled triangles", (
                "A right-angled triangle has one angle of exactly ninety degrees.",
                "The longest side is opposite the right angle and is called the hypotenuse.",
                "The other two sides are sometimes called the legs.",
                "Builders have used right angles for thousands of years.",
                "We label the hypotenuse c and the legs a and b.",
            )),
            Part("The theorem", (
                "Pythagoras' theorem says a squared plus b squared equals c squared.",
                "Draw a square on each side and the two small areas add up to the big one.",
                "For a triangle with legs three and four, the hypotenuse is five.",
                "Three, four, five is called a Pythagorean triple.",
                "The theorem only works for right-angled triangles.",
            )),
            Part("Finding the hypotenuse", (
                "To find the hypotenuse, square both legs and add them.",
                "Then take the square root of the total.",
                "With legs six and eight, thirty-six plus sixty-four is one hundred.",
                "The square root of one hundred is ten, so the hypotenuse is ten.",
                "Always check that the hypotenuse is the longest side.",
            )),
            Part("Finding a shorter side", (
                "To find a leg, start with the hypotenuse squared and subtract.",
                "If the hypotenuse is thirteen and one leg is five, one hundred sixty-nine minus twenty-five is one hundred forty-four.",
                "The square root of one hundred forty-four is twelve.",
                "A ladder leaning on a wall makes a right-angled triangle with the ground.",
                "Pythagoras helps us find how high the ladder reaches.",
            )),
        ),
        recap=Part("Pythagoras recap", (
            "Let's look at the steps once more.",
            "Identify the hypotenuse first: it is opposite the right angle.",
            "Add the squares to find the hypotenuse, subtract them to find a leg.",
            "Finish with a square root.",
        )),
        choices=(
            Choice("Which side of a right-angled triangle is the hypotenuse?", ("The side opposite the right angle",), ("The shortest side", "The side next to the right angle", "Any side")),
            Choice("Which of these are Pythagorean triples?", ("3, 4, 5", "5, 12, 13"), ("2, 3, 4", "4, 5, 6")),
        ),
        statements=(("Pythagoras' theorem works for every triangle.", False), ("The hypotenuse is always the longest side.", True)),
        short=(("What is the longest side of a right-angled triangle called?", ("hypotenuse", "the hypotenuse")),),
        numeric=(
            NumericFact("Legs of 6 cm and 8 cm: how long is the hypotenuse in cm?", 10, 0.05, "cm", (("mm", 10), ("m", 0.01))),
            NumericFact("Hypotenuse 13, one leg 5: how long is the other leg?", 12, 0.05),
        ),
        pairs=(("a² + b²", "c²"), ("Hypotenuse", "side opposite the right angle"), ("Right angle", "90 degrees"), ("3, 4, 5", "a Pythagorean triple")),
        order_prompt="Put the steps for finding the hypotenuse in order.",
        order=("Square both legs", "Add the squares", "Take the square root", "Check it is the longest side"),
        cloze=(("In a right-angled triangle, a² + b² = {b}².", "c"),),
    ),
    Topic(
        key="linear-equations",
        subject="maths",
        title="Solving linear equations",
        description="Balancing both sides, inverse operations and checking solutions.",
        parts=(
            Part("Equations as balances", (
                "An equation says two expressions are equal, like a balanced scale.",
                "Whatever we do to one side, we must do to the other.",
                "The letter x stands for an unknown number.",
                "Solving means finding the value of x that makes both sides equal.",
                "We keep the scale balanced at every step.",
            )),
            Part("Inverse operations", (
                "To undo adding, we subtract; to undo multiplying, we divide.",
                "For x plus seven equals twelve, subtract seven from both sides.",
                "That leaves x equals five.",
                "For three x equals twenty-one, divide both sides by three.",
                "So x equals seven.",
            )),
            Part("Two-step equations", (
                "Some equations need two steps, like two x plus three equals eleven.",
                "First subtract three from both sides to get two x equals eight.",
                "Then divide both sides by two to get x equals four.",
                "Undo the operations in the reverse order they were applied.",
                "Write each step on a new line to avoid mistakes.",
            )),
            Part("Checking solutions", (
                "Always substitute your answer back into the original equation.",
                "If both sides come out equal, the solution is correct.",
                "For two x plus three equals eleven, two times four plus three is eleven.",
                "Checking catches sign errors, which are very common.",
                "Equations with x on both sides collect the x terms on one side first.",
            )),
        ),
        recap=Part("Equations recap", (
            "Let's go through the method slowly once more.",
            "Do the same thing to both sides.",
            "Undo operations in reverse order.",
            "Substitute back to check.",
        )),
        choices=(
            Choice("Solve 2x + 3 = 11.", ("x = 4",), ("x = 7", "x = 5.5", "x = 8")),
            Choice("Which of these are solutions of x² = 9?", ("x = 3", "x = -3"), ("x = 9", "x = 4.5")),
        ),
        statements=(("To undo multiplying by 3 you divide by 3.", True), ("You may add 5 to only one side of an equation.", False)),
        short=(("What do we call undoing an operation, such as subtracting to undo adding?", ("inverse operation*", "inverse")),),
        numeric=(NumericFact("Solve 3x - 4 = 17 for x.", 7), NumericFact("Solve 5x + 2 = 12 for x.", 2)),
        pairs=(("x + 7 = 12", "x = 5"), ("3x = 21", "x = 7"), ("2x + 3 = 11", "x = 4"), ("x / 2 = 6", "x = 12")),
        order_prompt="Put the steps for solving 2x + 3 = 11 in order.",
        order=("Subtract 3 from both sides", "Get 2x = 8", "Divide both sides by 2", "Check: 2 × 4 + 3 = 11"),
        cloze=(("To solve x + 7 = 12, subtract {b} from both sides.", "7"),),
    ),
    Topic(
        key="roman-empire",
        subject="history",
        title="The Roman Empire",
        description="From republic to empire: emperors, roads, the army and the fall of the West.",
        parts=(
            Part("From republic to empire", (
                "Rome began as a small city on the river Tiber.",
                "For centuries it was a republic ruled by elected officials and the Senate.",
                "Julius Caesar seized power and was assassinated in 44 BC.",
                "His adopted son Octavian became the first emperor, Augustus, in 27 BC.",
                "Augustus began a long period of relative peace called the Pax Romana.",
            )),
            Part("The Roman army", (
                "The army was the backbone of Roman power.",
                "Soldiers were organised into legions of about five thousand men.",
                "Legionaries built forts, walls and roads as well as fighting.",
                "Hadrian's Wall marked the northern frontier in Britain.",
                "Soldiers who served twenty-five years could earn Roman citizenship.",
            )),
            Part("Roads, towns and daily life", (
                "The Romans built more than eighty thousand kilometres of paved roads.",
                "Aqueducts carried fresh water into towns for baths and fountains.",
                "Latin spread across the empire and shaped many modern languages.",
                "Towns had forums, temples, amphitheatres and public baths.",
                "Trade moved grain, olive oil and wine around the Mediterranean.",
            )),
            Part("The fall of the West", (
                "By the third century the empire faced civil wars and invasions.",
                "Emperor Diocletian split the empire to make it easier to govern.",
                "Constantine founded a new capital at Constantinople in 330 AD.",
                "The last western emperor was deposed in 476 AD.",
                "The eastern half lasted almost a thousand years more as the Byzantine Empire.",
            )),
        ),
        recap=Part("Roman Empire recap", (
            "Let's recap the big timeline.",
            "Republic first, then Augustus became the first emperor in 27 BC.",
            "Roads, aqueducts and the army held the empire together.",
            "The West fell in 476 AD while the East continued.",
        )),
        choices=(
            Choice("Who was the first Roman emperor?", ("Augustus",), ("Julius Caesar", "Nero", "Constantine")),
            Choice("Which of these did the Romans build?", ("Aqueducts", "Hadrian's Wall"), ("The Great Wall", "The pyramids of Giza")),
        ),
        statements=(("Julius Caesar was the first Roman emperor.", False), ("Latin was the language of the Roman Empire.", True)),
        short=(("Which city did Constantine make the new capital?", ("Constantinople", "Byzantium")),),
        numeric=(NumericFact("In which year AD was the last western Roman emperor deposed?", 476),),
        pairs=(("Augustus", "first emperor"), ("Legion", "army unit of about 5,000"), ("Aqueduct", "carried water"), ("Forum", "town square and market")),
        order_prompt="Put these events in chronological order.",
        order=("Rome is a republic", "Caesar is assassinated", "Augustus becomes emperor", "The western empire falls"),
        cloze=(("The period of peace that began under Augustus is called the Pax {b}.", "Romana"),),
    ),
    Topic(
        key="industrial-revolution",
        subject="history",
        title="The Industrial Revolution",
        description="Steam power, factories, railways and how work and towns changed in Britain.",
        parts=(
            Part("Why Britain?", (
                "The Industrial Revolution began in Britain in the second half of the eighteenth century.",
                "Britain had plenty of coal and iron ore close together.",
                "Trade and colonies provided raw materials and markets.",
                "New farming methods meant fewer people were needed on the land.",
                "Banks were ready to lend money to inventors and mill owners.",
            )),
            Part("Steam power", (
                "Thomas Newcomen built an early steam engine to pump water out of mines.",
                "James Watt improved it with a separate condenser in the 1760s and 1770s.",
                "Steam engines could power machines anywhere, not just beside rivers.",
                "Coal production rose enormously to feed the engines.",
                "Factories grew up around the new source of power.",
            )),
            Part("Factories and towns", (
                "Cotton mills brought hundreds of workers under one roof.",
                "Shifts of twelve hours or more were common, even for children.",
                "Towns like Manchester grew very quickly and very crowded.",
                "Poor housing and dirty water spread diseases such as cholera.",
                "The Factory Acts slowly limited working hours for children.",
            )),
            Part("Railways", (
                "The Stockton and Darlington Railway opened in 1825.",
                "George Stephenson's Rocket won the Rainhill Trials in 1829.",
                "The Liverpool and Manchester Railway opened in 1830.",
                "Railways cut journey times and moved goods cheaply.",
                "Railway time made clocks across the country agree.",
            )),
        ),
        recap=Part("Industrial Revolution recap", (
            "Let's recap the main causes and changes.",
            "Coal, iron, trade and capital made Britain ready.",
            "Steam power moved work into factories and towns.",
            "Railways connected the country from the 1830s.",
        )),
        choices=(
            Choice("Who improved the steam engine with a separate condenser?", ("James Watt",), ("George Stephenson", "Isaac Newton", "Richard Arkwright")),
            Choice("Which of these were problems in fast-growing industrial towns?", ("Cholera", "Overcrowded housing"), ("Too few workers", "Empty factories")),
        ),
        statements=(("The Industrial Revolution began in Britain.", True), ("Children were never employed in cotton mills.", False)),
        short=(("Which locomotive won the Rainhill Trials?", ("Rocket", "Stephenson's Rocket", "the Rocket")),),
        numeric=(NumericFact("In which year did the Liverpool and Manchester Railway open?", 1830),),
        pairs=(("James Watt", "improved steam engine"), ("George Stephenson", "Rocket locomotive"), ("Factory Acts", "limited child labour"), ("Manchester", "cotton town")),
        order_prompt="Put these events in chronological order.",
        order=("Newcomen's steam engine", "Watt's separate condenser", "Stockton and Darlington Railway opens", "Liverpool and Manchester Railway opens"),
        cloze=(("Early steam engines were used to pump water out of {b}.", "mines"),),
    ),
    Topic(
        key="ancient-egypt",
        subject="history",
        title="Ancient Egypt",
        description="The Nile, pharaohs, pyramids, hieroglyphs and everyday life along the river.",
        parts=(
            Part("The gift of the Nile", (
                "Ancient Egypt grew up along the river Nile.",
                "Every year the Nile flooded and left rich black soil on the fields.",
                "Farmers grew wheat, barley and flax in that soil.",
                "The desert on either side protected Egypt from invaders.",
                "Boats on the Nile carried people and goods along the country.",
            )),
            Part("Pharaohs", (
                "Egypt was ruled by kings called pharaohs.",
                "People believed the pharaoh was a living god.",
                "Upper and Lower Egypt were united around 3100 BC.",
                "Hatshepsut was one of the few women to rule as pharaoh.",
                "Tutankhamun's tomb was found almost untouched in 1922.",
            )),
            Part("Pyramids and tombs", (
                "The Great Pyramid of Giza was built for the pharaoh Khufu.",
                "It was the tallest building in the world for nearly four thousand years.",
                "Egyptians believed the dead needed their bodies in the afterlife.",
                "Mummification preserved the body with salt called natron.",
                "Later pharaohs were buried in the Valley of the Kings.",
            )),
            Part("Writing and daily life", (
                "Egyptians wrote with picture signs called hieroglyphs.",
                "Scribes wrote on papyrus made from reeds.",
                "The Rosetta Stone helped scholars decode hieroglyphs in 1822.",
                "Most Egyptians were farmers who also worked on building projects.",
                "Bread and beer were everyday foods.",
            )),
        ),
        recap=Part("Ancient Egypt recap", (
            "Let's go back over the main points.",
            "The Nile's floods made farming possible.",
            "Pharaohs ruled as god-kings and built great tombs.",
            "Hieroglyphs were decoded with the help of the Rosetta Stone.",
        )),
        choices=(
            Choice("Which river was the centre of Ancient Egypt?", ("The Nile",), ("The Tigris", "The Tiber", "The Amazon")),
            Choice("Which of these are linked to Egyptian burial?", ("Mummification", "The Valley of the Kings"), ("Aqueducts", "The Colosseum")),
        ),
        statements=(("Hieroglyphs were decoded with help from the Rosetta Stone.", True), ("The Nile never flooded.", False)),
        short=(("What were Egyptian kings called?", ("pharaoh*",)),),
        numeric=(NumericFact("In which year was Tutankhamun's tomb discovered?", 1922),),
        pairs=(("Papyrus", "writing material"), ("Hieroglyphs", "picture writing"), ("Pharaoh", "god-king"), ("Natron", "salt used in mummification")),
        order_prompt="Put the farming year in order.",
        order=("The Nile floods", "Floodwater leaves rich soil", "Farmers sow seeds", "Crops are harvested"),
        cloze=(("Egyptian scribes wrote on {b} made from reeds.", "papyrus"),),
    ),
)  # fmt: skip

SUBJECTS: tuple[str, ...] = ("science", "maths", "history")


def topics_of(subject: str) -> list[Topic]:
    return [topic for topic in TOPICS if topic.subject == subject]
