// The program page (being built).
import { mount, notice } from "./app.js";

mount(notice("info", "This page is being built."));
