"""Arena analytics: rating the models behind the battles (Bradley-Terry, tie models, bootstrap, style control).
Reads data/ and features/; read by report/. Not a preference model of two texts (those live in models/)."""
