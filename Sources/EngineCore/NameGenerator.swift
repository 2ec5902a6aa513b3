// NameGenerator: docker-style names for containers created without --name ("adjective_surname"
// of a scientist or engineer), so that `ps` stays readable.
enum NameGenerator {
    static let adjectives = [
        "admiring", "adoring", "agitated", "amazing", "awesome", "blissful", "bold", "brave", "busy", "charming",
        "clever", "cool", "compassionate", "competent", "confident", "dazzling", "determined", "eager", "ecstatic",
        "elastic", "elegant", "epic", "exciting", "fervent", "focused", "friendly", "gallant", "gifted", "goofy",
        "gracious", "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "jolly",
        "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest", "musing", "nice", "nifty",
        "nostalgic", "objective", "optimistic", "peaceful", "pensive", "practical", "quirky", "quizzical",
        "relaxed", "reverent", "romantic", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "sweet",
        "tender", "thirsty", "trusting", "upbeat", "vibrant", "vigilant", "wizardly", "wonderful", "youthful", "zealous",
    ]
    static let surnames = [
        "agnesi", "albattani", "allen", "archimedes", "babbage", "bardeen", "bartik", "bell", "blackwell", "bohr",
        "boole", "borg", "bose", "brahmagupta", "brown", "cannon", "carson", "cerf", "chandrasekhar", "curie",
        "darwin", "dijkstra", "einstein", "elion", "engelbart", "euclid", "euler", "fermat", "fermi", "feynman",
        "franklin", "galileo", "gauss", "goldberg", "goodall", "hamilton", "hawking", "heisenberg", "hodgkin",
        "hopper", "hypatia", "johnson", "kalam", "kepler", "knuth", "lamarr", "lamport", "leakey", "liskov",
        "lovelace", "mccarthy", "meitner", "mendel", "mirzakhani", "morse", "newton", "nobel", "noether", "pascal",
        "pike", "poincare", "ramanujan", "ritchie", "shannon", "sinoussi", "stallman", "swanson", "tesla",
        "thompson", "torvalds", "turing", "wilson", "wozniak", "wright", "yalow",
    ]

    static func random() -> String {
        "\(adjectives.randomElement()!)_\(surnames.randomElement()!)"
    }
}
