"""The JavaScript adapter: Node.js workers under the permission model, their Arrow/JSON codecs (the .mjs files) and the value protocol."""
