"""The browser demo: serve web_demo/ with a TF.js model (`lprnet demo`), BlazeFace for TF.js."""
